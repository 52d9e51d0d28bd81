/* Unit tests for the store (curator/store.h on store_sqlite.c).
 *
 * Most tests use ":memory:". Those about files (WAL, reopening, schema
 * versions, garbage) use a database in a fresh temporary folder, and look
 * at it with a second, plain sqlite3 connection where the store API has
 * nothing to say. Rows handed to callbacks are copied into fixed buffers,
 * with "<NULL>" standing for a NULL string.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "feed.h"
#include "log.h"
#include "store.h"
#include "support.h"

#define NULL_STR "<NULL>"
#define MAX_ROWS 16
#define EVIL "'; DROP TABLE items;--"

struct fx {
    char *dir;                      /* NULL for ":memory:" tests */
    char path[PATH_MAX];            /* dir/curator.db */
    struct store *st;
};

/* Copies of the rows a callback saw. 'stop_after' > 0 makes the callback
 * return 7 after that many rows. */
struct user_rows {
    size_t n, stop_after;
    struct {
        long long id, created, last_digest, digest_cursor;
        char name[80], email[256];
    } row[MAX_ROWS];
};

struct feed_rows {
    size_t n, stop_after;
    struct {
        long long id, next_poll, last_poll, last_success, items;
        int last_status, failures;
        char url[256], title[128], origin[16], etag[64];
        char last_modified[64], last_error[128];
    } row[MAX_ROWS];
};

struct item_rows {
    size_t n, stop_after;
    struct {
        long long id, feed_id, published, fetched;
        char feed_title[128], guid[128], title[128], link[256];
        char author[128], summary[256], html[256];
        int has_html;
    } row[MAX_ROWS];
};

struct interest_rows {
    size_t n;
    struct {
        char term[128];
        double weight;
    } row[MAX_ROWS];
};

static int
setup_mem(void **state)
{
    struct fx *fx = calloc(1, sizeof *fx);

    if (fx == NULL)
        return -1;
    if (store_open(":memory:", &fx->st) != CUR_OK) {
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

/* A temporary folder; the test opens the store itself. */
static int
setup_file(void **state)
{
    struct fx *fx = calloc(1, sizeof *fx);

    if (fx == NULL)
        return -1;
    fx->dir = t_mkdtemp();
    if (fx->dir == NULL) {
        free(fx);
        return -1;
    }
    snprintf(fx->path, sizeof fx->path, "%s/curator.db", fx->dir);
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *fx = *state;

    store_close(fx->st);
    t_rmtree(fx->dir);
    free(fx->dir);
    free(fx);
    return 0;
}

static void
copy_str(char *dst, size_t size, const char *src)
{
    int n = snprintf(dst, size, "%s", src ? src : NULL_STR);
    assert_true(n >= 0 && (size_t)n < size);
}

#define COPY(dst, src) copy_str((dst), sizeof(dst), (src))

static int
user_cb(void *ctx, const struct store_user *u)
{
    struct user_rows *r = ctx;

    assert_true(r->n < MAX_ROWS);
    r->row[r->n].id = u->id;
    r->row[r->n].created = u->created;
    r->row[r->n].last_digest = u->last_digest;
    r->row[r->n].digest_cursor = u->digest_cursor;
    COPY(r->row[r->n].name, u->name);
    COPY(r->row[r->n].email, u->email);
    r->n++;
    return r->stop_after > 0 && r->n == r->stop_after ? 7 : 0;
}

static int
feed_cb(void *ctx, const struct store_feed *f)
{
    struct feed_rows *r = ctx;

    assert_true(r->n < MAX_ROWS);
    r->row[r->n].id = f->id;
    r->row[r->n].next_poll = f->next_poll;
    r->row[r->n].last_poll = f->last_poll;
    r->row[r->n].last_success = f->last_success;
    r->row[r->n].items = f->items;
    r->row[r->n].last_status = f->last_status;
    r->row[r->n].failures = f->failures;
    COPY(r->row[r->n].url, f->url);
    COPY(r->row[r->n].title, f->title);
    COPY(r->row[r->n].origin, f->origin);
    COPY(r->row[r->n].etag, f->etag);
    COPY(r->row[r->n].last_modified, f->last_modified);
    COPY(r->row[r->n].last_error, f->last_error);
    r->n++;
    return r->stop_after > 0 && r->n == r->stop_after ? 7 : 0;
}

static int
item_cb(void *ctx, const struct store_item *it)
{
    struct item_rows *r = ctx;

    assert_true(r->n < MAX_ROWS);
    r->row[r->n].id = it->id;
    r->row[r->n].feed_id = it->feed_id;
    r->row[r->n].published = it->published;
    r->row[r->n].fetched = it->fetched;
    COPY(r->row[r->n].feed_title, it->feed_title);
    COPY(r->row[r->n].guid, it->guid);
    COPY(r->row[r->n].title, it->title);
    COPY(r->row[r->n].link, it->link);
    COPY(r->row[r->n].author, it->author);
    COPY(r->row[r->n].summary, it->summary);
    COPY(r->row[r->n].html, it->html);
    r->row[r->n].has_html = it->html != NULL;
    r->n++;
    return r->stop_after > 0 && r->n == r->stop_after ? 7 : 0;
}

static int
interest_cb(void *ctx, const struct store_interest *in)
{
    struct interest_rows *r = ctx;

    assert_true(r->n < MAX_ROWS);
    COPY(r->row[r->n].term, in->term);
    r->row[r->n].weight = in->weight;
    r->n++;
    return 0;
}

/* The one feed with this id. */
static void
get_feed(struct store *st, long long id, struct feed_rows *r)
{
    memset(r, 0, sizeof *r);
    assert_int_equal(store_feed_get(st, id, feed_cb, r), CUR_OK);
    assert_int_equal(r->n, 1);
    assert_int_equal(r->row[0].id, id);
}

static long long
item_count(struct store *st)
{
    long long n = -1;

    assert_int_equal(store_item_count(st, &n), CUR_OK);
    return n;
}

static long long
add_feed(struct store *st, const char *url)
{
    long long id = -1;

    assert_int_equal(store_feed_add(st, url, "cli", &id), CUR_OK);
    assert_true(id > 0);
    return id;
}

static long long
add_user(struct store *st, const char *name)
{
    char email[128];
    long long id = -1;

    snprintf(email, sizeof email, "%s@example.org", name);
    assert_int_equal(store_user_add(st, name, email, &id), CUR_OK);
    assert_true(id > 0);
    return id;
}

/* A parsed feed with 'n' items "PREFIX-first" .. "PREFIX-(first+n-1)",
 * every field set; free it with feed_free(). */
static struct feed *
make_feed(const char *prefix, int first, int n)
{
    struct feed *f = calloc(1, sizeof *f);
    char buf[256];

    assert_non_null(f);
    for (int i = first; i < first + n; i++) {
        struct item *it = feed_add_item(f);
        assert_non_null(it);
        snprintf(buf, sizeof buf, "%s-%d", prefix, i);
        it->guid = strdup(buf);
        snprintf(buf, sizeof buf, "Title %s %d", prefix, i);
        it->title = strdup(buf);
        snprintf(buf, sizeof buf, "https://example.org/%s/%d", prefix, i);
        it->link = strdup(buf);
        snprintf(buf, sizeof buf, "Author %d", i);
        struct person *who = feed_add_person(&it->authors, &it->n_authors);
        assert_non_null(who);
        who->name = strdup(buf);
        snprintf(buf, sizeof buf, "Summary %s %d", prefix, i);
        it->text = strdup(buf);
        assert_true(it->guid && it->title && it->link && who->name
                    && it->text);
        it->published = 1000 + i;
        it->updated = 2000 + i;
    }
    return f;
}

static struct store_poll
ok_poll(long long now)
{
    struct store_poll p = {
        .now = now, .next_poll = now + 3600, .status = 200,
    };
    return p;
}

/* Poll 'feed_id' successfully with a made-up feed; returns n_new. */
static int
poll_items(struct store *st, long long feed_id, const char *prefix,
           int first, int n, long long now)
{
    struct feed *f = make_feed(prefix, first, n);
    struct store_poll p = ok_poll(now);
    int n_new = -1;

    int rc = store_feed_polled(st, feed_id, &p, f, &n_new);
    feed_free(f);
    assert_int_equal(rc, CUR_OK);
    return n_new;
}

/* One integer from a query on a plain sqlite3 connection to 'path'. */
static long long
sql_int(const char *path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *s;
    long long v;

    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

static void
sql_text(const char *path, const char *sql, char *out, size_t size)
{
    sqlite3 *db;
    sqlite3_stmt *s;

    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    copy_str(out, size, (const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    sqlite3_close(db);
}

/* Opening, schema and pragmas. */

static void
test_open_memory(void **state)
{
    struct fx *fx = *state;
    int version = -1;
    long long n = -1, when = -1;

    assert_int_equal(store_schema_version(fx->st, &version), CUR_OK);
    assert_int_equal(version, STORE_SCHEMA_VERSION);
    assert_int_equal(store_user_count(fx->st, &n), CUR_OK);
    assert_int_equal(n, 0);
    assert_int_equal(item_count(fx->st), 0);
    assert_int_equal(store_feed_next_due(fx->st, &when), CUR_OK);
    assert_int_equal(when, 0);          /* no feed */
    store_close(NULL);
}

static void
test_reopen_keeps_data(void **state)
{
    struct fx *fx = *state;
    struct store *second = NULL;
    long long ann, feed, id = -1, n = -1;
    int version = -1;

    assert_int_equal(store_open(fx->path, &fx->st), CUR_OK);
    ann = add_user(fx->st, "ann");
    feed = add_feed(fx->st, "https://example.org/a.xml");
    assert_int_equal(poll_items(fx->st, feed, "a", 1, 2, 100), 2);
    store_close(fx->st);
    fx->st = NULL;

    /* The migrations run again and find nothing to do. */
    assert_int_equal(store_open(fx->path, &fx->st), CUR_OK);
    assert_int_equal(store_schema_version(fx->st, &version), CUR_OK);
    assert_int_equal(version, STORE_SCHEMA_VERSION);
    assert_int_equal(store_user_find(fx->st, "ann", &id), CUR_OK);
    assert_int_equal(id, ann);
    assert_int_equal(item_count(fx->st), 2);

    /* A second handle on the same file at the same time. */
    assert_int_equal(store_open(fx->path, &second), CUR_OK);
    assert_int_equal(store_user_count(second, &n), CUR_OK);
    assert_int_equal(n, 1);
    add_user(second, "bob");
    assert_int_equal(store_user_count(fx->st, &n), CUR_OK);
    assert_int_equal(n, 2);
    assert_int_equal(store_feed_find(second, "https://example.org/a.xml",
                                     &id), CUR_OK);
    assert_int_equal(id, feed);
    store_close(second);
    assert_int_equal(sql_int(fx->path, "PRAGMA user_version"),
                     STORE_SCHEMA_VERSION);
}

static void
test_newer_schema_refused(void **state)
{
    struct fx *fx = *state;
    sqlite3 *db;
    char sql[128];

    assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
    snprintf(sql, sizeof sql, "CREATE TABLE future (x); "
             "PRAGMA user_version = %d;", STORE_SCHEMA_VERSION + 1);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    struct store *st = (struct store *)&db;     /* must become NULL */
    assert_int_equal(store_open(fx->path, &st), CUR_ESCHEMA);
    assert_null(st);

    /* Left as it was: same version, no tables of ours. */
    assert_int_equal(sql_int(fx->path, "PRAGMA user_version"),
                     STORE_SCHEMA_VERSION + 1);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM sqlite_master"
                                       " WHERE name = 'users'"), 0);
}

static void
test_file_wal_and_foreign_keys(void **state)
{
    struct fx *fx = *state;
    char mode[32];
    long long user, feed, n = -1;

    assert_int_equal(store_open(fx->path, &fx->st), CUR_OK);
    sql_text(fx->path, "PRAGMA journal_mode", mode, sizeof mode);
    assert_string_equal(mode, "wal");

    /* Foreign keys are enforced: rows must point at real users/feeds. */
    user = add_user(fx->st, "ann");
    feed = add_feed(fx->st, "https://example.org/a.xml");
    assert_int_equal(store_subscribe(fx->st, user + 100, feed),
                     CUR_ENOTFOUND);
    assert_int_equal(store_subscribe(fx->st, user, feed + 100),
                     CUR_ENOTFOUND);
    assert_int_equal(store_interest_add(fx->st, user + 100, "x", 1.0),
                     CUR_ENOTFOUND);
    assert_int_equal(store_digest_done(fx->st, user + 100, 10, 0, 0, NULL),
                     CUR_ENOTFOUND);
    assert_int_equal(store_subscription_count(fx->st, user + 100, &n),
                     CUR_OK);
    assert_int_equal(n, 0);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM subscriptions"),
                     0);

    /* ... and ON DELETE CASCADE works, which needs them on too. */
    assert_int_equal(store_subscribe(fx->st, user, feed), CUR_OK);
    assert_int_equal(store_feed_remove(fx->st, feed), CUR_OK);
    assert_int_equal(store_subscription_count(fx->st, user, &n), CUR_OK);
    assert_int_equal(n, 0);
}

static void
test_not_a_database(void **state)
{
    struct fx *fx = *state;
    char garbage[8192], back[sizeof garbage + 1];

    for (size_t i = 0; i < sizeof garbage; i++)
        garbage[i] = (char)("not a database\n\xff\x01"[i % 17]);
    FILE *f = fopen(fx->path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(garbage, 1, sizeof garbage, f), sizeof garbage);
    assert_int_equal(fclose(f), 0);

    assert_int_equal(store_open(fx->path, &fx->st), CUR_ESTORE);
    assert_null(fx->st);

    /* The file is left alone. */
    f = fopen(fx->path, "rb");
    assert_non_null(f);
    assert_int_equal(fread(back, 1, sizeof back, f), sizeof garbage);
    fclose(f);
    assert_memory_equal(back, garbage, sizeof garbage);
}

static void
test_empty_file_becomes_database(void **state)
{
    struct fx *fx = *state;
    int version = -1;

    FILE *f = fopen(fx->path, "wb");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(store_open(fx->path, &fx->st), CUR_OK);
    assert_int_equal(store_schema_version(fx->st, &version), CUR_OK);
    assert_int_equal(version, STORE_SCHEMA_VERSION);
}

/* Users. */

static void
test_users(void **state)
{
    struct fx *fx = *state;
    struct user_rows r = { 0 };
    long long ann, bob, id = -1, n = -1;
    time_t t0 = time(NULL);

    ann = add_user(fx->st, "ann");
    assert_int_equal(store_user_add(fx->st, "bob.smith-2_x",
                                    "bob@mail.example.org", &bob), CUR_OK);
    assert_int_equal(store_user_add(fx->st, "cy", "cy@example.org", NULL),
                     CUR_OK);
    time_t t1 = time(NULL);
    assert_true(bob != ann);

    id = 0;
    assert_int_equal(store_user_add(fx->st, "ann", "other@example.org", &id),
                     CUR_EEXIST);
    assert_int_equal(store_user_count(fx->st, &n), CUR_OK);
    assert_int_equal(n, 3);

    assert_int_equal(store_user_find(fx->st, "bob.smith-2_x", &id), CUR_OK);
    assert_int_equal(id, bob);
    assert_int_equal(store_user_find(fx->st, "ann", &id), CUR_OK);
    assert_int_equal(id, ann);
    id = 99;
    assert_int_equal(store_user_find(fx->st, "nobody", &id), CUR_ENOTFOUND);
    assert_int_equal(store_user_find(fx->st, "ANN", &id), CUR_ENOTFOUND);

    assert_int_equal(store_user_list(fx->st, user_cb, &r), CUR_OK);
    assert_int_equal(r.n, 3);
    assert_int_equal(r.row[0].id, ann);
    assert_string_equal(r.row[0].name, "ann");
    assert_string_equal(r.row[0].email, "ann@example.org");
    assert_int_equal(r.row[1].id, bob);
    assert_string_equal(r.row[1].name, "bob.smith-2_x");
    assert_string_equal(r.row[1].email, "bob@mail.example.org");
    assert_string_equal(r.row[2].name, "cy");
    for (size_t i = 0; i < r.n; i++) {
        assert_in_range(r.row[i].created, t0, t1);
        assert_int_equal(r.row[i].last_digest, 0);
        assert_int_equal(r.row[i].digest_cursor, 0);
    }
}

static void
test_user_invalid(void **state)
{
    struct fx *fx = *state;
    static const char *const names[] = {
        "", "bad name", ".dot", "-dash", "a/b", "ann'", "é", "a\tb",
        "x;DROP",
    };
    static const char *const emails[] = {
        "", "nope", "@example.org", "ann@", "a@b@c", "a b@example.org",
        "<ann@example.org>", "ann@example.org\r\nBcc: x@y.z",
        "\"ann\"@example.org", "x" EVIL "@example.org",
    };
    char name[80];
    long long id = 42, n = -1;

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (store_user_add(fx->st, names[i], "a@example.org", &id)
            != CUR_EINVAL)
            fail_msg("name '%s' not refused", names[i]);
    for (size_t i = 0; i < sizeof emails / sizeof emails[0]; i++)
        if (store_user_add(fx->st, "ann", emails[i], &id) != CUR_EINVAL)
            fail_msg("email '%s' not refused", emails[i]);
    assert_int_equal(id, 42);           /* untouched */

    memset(name, 'n', 65);
    name[65] = '\0';
    assert_int_equal(store_user_add(fx->st, name, "a@example.org", NULL),
                     CUR_EINVAL);
    name[64] = '\0';
    assert_int_equal(store_user_add(fx->st, name, "a@example.org", NULL),
                     CUR_OK);
    assert_int_equal(store_user_count(fx->st, &n), CUR_OK);
    assert_int_equal(n, 1);
}

/* Feeds. */

static void
test_feeds_add_get_list_remove(void **state)
{
    struct fx *fx = *state;
    struct feed_rows r = { 0 };
    long long a, b, c = -1, id = -1;

    a = add_feed(fx->st, "https://example.org/a.xml");
    assert_int_equal(store_feed_add(fx->st, "file:///srv/b.xml", "config",
                                    &b), CUR_OK);
    assert_int_equal(store_feed_add(fx->st, "http://example.org/c", "web",
                                    NULL), CUR_OK);     /* id may be NULL */
    assert_true(a != b);

    assert_int_equal(store_feed_list(fx->st, feed_cb, &r), CUR_OK);
    assert_int_equal(r.n, 3);
    assert_int_equal(r.row[0].id, a);
    assert_string_equal(r.row[0].url, "https://example.org/a.xml");
    assert_string_equal(r.row[0].origin, "cli");
    assert_string_equal(r.row[0].title, NULL_STR);
    assert_string_equal(r.row[0].etag, NULL_STR);
    assert_string_equal(r.row[0].last_modified, NULL_STR);
    assert_string_equal(r.row[0].last_error, NULL_STR);
    assert_int_equal(r.row[0].next_poll, 0);
    assert_int_equal(r.row[0].last_poll, 0);
    assert_int_equal(r.row[0].last_success, 0);
    assert_int_equal(r.row[0].last_status, 0);
    assert_int_equal(r.row[0].failures, 0);
    assert_int_equal(r.row[0].items, 0);
    assert_int_equal(r.row[1].id, b);
    assert_string_equal(r.row[1].url, "file:///srv/b.xml");
    assert_string_equal(r.row[1].origin, "config");
    assert_string_equal(r.row[2].url, "http://example.org/c");
    assert_string_equal(r.row[2].origin, "web");

    get_feed(fx->st, b, &r);
    assert_string_equal(r.row[0].url, "file:///srv/b.xml");
    memset(&r, 0, sizeof r);
    assert_int_equal(store_feed_get(fx->st, b + 1000, feed_cb, &r),
                     CUR_ENOTFOUND);
    assert_int_equal(r.n, 0);
    assert_int_equal(store_feed_find(fx->st, "http://example.org/c", &c),
                     CUR_OK);
    assert_true(c != a && c != b);
    assert_int_equal(store_feed_find(fx->st, "http://example.org/C", &id),
                     CUR_ENOTFOUND);

    assert_int_equal(store_feed_remove(fx->st, a), CUR_OK);
    assert_int_equal(store_feed_remove(fx->st, a), CUR_ENOTFOUND);
    assert_int_equal(store_feed_remove(fx->st, 987654), CUR_ENOTFOUND);
    assert_int_equal(store_feed_get(fx->st, a, feed_cb, &r), CUR_ENOTFOUND);
    memset(&r, 0, sizeof r);
    assert_int_equal(store_feed_list(fx->st, feed_cb, &r), CUR_OK);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.row[0].id, b);
}

static void
test_feed_duplicate_url(void **state)
{
    struct fx *fx = *state;
    struct feed_rows r = { 0 };
    long long a, b, id = -1;

    add_feed(fx->st, "https://example.org/first.xml");
    a = add_feed(fx->st, "https://example.org/a.xml");
    b = add_feed(fx->st, "https://example.org/b.xml");

    assert_int_equal(store_feed_add(fx->st, "https://example.org/a.xml",
                                    "web", &id), CUR_EEXIST);
    assert_int_equal(id, a);
    assert_int_equal(store_feed_add(fx->st, "https://example.org/b.xml",
                                    "cli", NULL), CUR_EEXIST);
    assert_int_equal(store_feed_list(fx->st, feed_cb, &r), CUR_OK);
    assert_int_equal(r.n, 3);
    assert_string_equal(r.row[1].origin, "cli");    /* first one kept */

    /* A feed added after a refused one gets a fresh id. */
    assert_true(add_feed(fx->st, "https://example.org/c.xml") > b);
}

static void
test_feed_bad_origin(void **state)
{
    struct fx *fx = *state;
    struct feed_rows r = { 0 };
    long long id = -1;

    assert_int_not_equal(store_feed_add(fx->st, "https://example.org/a",
                                        "email", &id), CUR_OK);
    assert_int_equal(store_feed_list(fx->st, feed_cb, &r), CUR_OK);
    assert_int_equal(r.n, 0);
}

static void
test_feed_due_and_next_due(void **state)
{
    struct fx *fx = *state;
    struct feed_rows r = { 0 };
    long long a, b, c, when = -1;
    struct store_poll p = ok_poll(10);

    a = add_feed(fx->st, "https://example.org/a");
    b = add_feed(fx->st, "https://example.org/b");
    c = add_feed(fx->st, "https://example.org/c");

    /* New feeds are due at once. */
    assert_int_equal(store_feed_due(fx->st, 0, feed_cb, &r), CUR_OK);
    assert_int_equal(r.n, 3);
    assert_int_equal(store_feed_next_due(fx->st, &when), CUR_OK);
    assert_int_equal(when, 0);

    p.next_poll = 300;
    assert_int_equal(store_feed_polled(fx->st, a, &p, NULL, NULL), CUR_OK);
    p.next_poll = 100;
    assert_int_equal(store_feed_polled(fx->st, b, &p, NULL, NULL), CUR_OK);
    p.next_poll = 200;
    p.error = "timeout";                /* failures schedule too */
    assert_int_equal(store_feed_polled(fx->st, c, &p, NULL, NULL), CUR_OK);

    assert_int_equal(store_feed_next_due(fx->st, &when), CUR_OK);
    assert_int_equal(when, 100);

    memset(&r, 0, sizeof r);
    assert_int_equal(store_feed_due(fx->st, 99, feed_cb, &r), CUR_OK);
    assert_int_equal(r.n, 0);
    assert_int_equal(store_feed_due(fx->st, 100, feed_cb, &r), CUR_OK);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.row[0].id, b);
    memset(&r, 0, sizeof r);
    assert_int_equal(store_feed_due(fx->st, 250, feed_cb, &r), CUR_OK);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.row[0].id, b);
    assert_int_equal(r.row[1].id, c);
    memset(&r, 0, sizeof r);
    assert_int_equal(store_feed_due(fx->st, 1000, feed_cb, &r), CUR_OK);
    assert_int_equal(r.n, 3);
    assert_int_equal(r.row[0].id, b);   /* oldest due first */
    assert_int_equal(r.row[1].id, c);
    assert_int_equal(r.row[2].id, a);
    assert_int_equal(r.row[2].next_poll, 300);

    /* A callback's non-zero return stops the walk and is returned. */
    memset(&r, 0, sizeof r);
    r.stop_after = 1;
    assert_int_equal(store_feed_due(fx->st, 1000, feed_cb, &r), 7);
    assert_int_equal(r.n, 1);

    assert_int_equal(store_feed_remove(fx->st, b), CUR_OK);
    assert_int_equal(store_feed_next_due(fx->st, &when), CUR_OK);
    assert_int_equal(when, 200);
}

/* Polling. */

/* Items keep their sanitised HTML beside the plain text (schema 3). */
static void
test_polled_items_keep_html(void **state)
{
    struct fx *fx = *state;
    struct item_rows ir = { 0 };
    struct store_poll p = ok_poll(5000);
    long long feed = add_feed(fx->st, "https://example.org/h.xml");
    struct feed *f = make_feed("h", 1, 2);

    f->items[1].html = strdup("<p>Safe &amp; <b>sound</b></p>");
    assert_non_null(f->items[1].html);
    assert_int_equal(store_feed_polled(fx->st, feed, &p, f, NULL), CUR_OK);
    feed_free(f);
    assert_int_equal(store_item_list(fx->st, feed, 10, item_cb, &ir),
                     CUR_OK);
    assert_int_equal(ir.n, 2);
    assert_true(ir.row[0].has_html);
    assert_string_equal(ir.row[0].html, "<p>Safe &amp; <b>sound</b></p>");
    assert_string_equal(ir.row[0].summary, "Summary h 2");
    assert_false(ir.row[1].has_html);
}

static void
test_polled_success_stores_items(void **state)
{
    struct fx *fx = *state;
    struct feed_rows fr;
    struct item_rows ir = { 0 };
    struct store_poll p = ok_poll(5000);
    long long feed, other;
    int n_new = -1;

    feed = add_feed(fx->st, "https://example.org/a.xml");
    other = add_feed(fx->st, "https://example.org/b.xml");

    struct feed *f = make_feed("g", 1, 3);
    p.etag = "\"v1\"";
    p.last_modified = "Tue, 01 Jul 2025 10:00:00 GMT";
    p.title = "Feed A";
    assert_int_equal(store_feed_polled(fx->st, feed, &p, f, &n_new), CUR_OK);
    assert_int_equal(n_new, 3);
    assert_int_equal(item_count(fx->st), 3);

    get_feed(fx->st, feed, &fr);
    assert_string_equal(fr.row[0].title, "Feed A");
    assert_string_equal(fr.row[0].etag, "\"v1\"");
    assert_string_equal(fr.row[0].last_modified,
                        "Tue, 01 Jul 2025 10:00:00 GMT");
    assert_int_equal(fr.row[0].last_poll, 5000);
    assert_int_equal(fr.row[0].last_success, 5000);
    assert_int_equal(fr.row[0].next_poll, 8600);
    assert_int_equal(fr.row[0].last_status, 200);
    assert_int_equal(fr.row[0].failures, 0);
    assert_int_equal(fr.row[0].items, 3);

    /* Newest first, every field as given. */
    assert_int_equal(store_item_list(fx->st, feed, 10, item_cb, &ir),
                     CUR_OK);
    assert_int_equal(ir.n, 3);
    for (size_t i = 0; i < 3; i++) {
        char want[64];
        int k = 3 - (int)i;
        assert_int_equal(ir.row[i].feed_id, feed);
        assert_string_equal(ir.row[i].feed_title, "Feed A");
        snprintf(want, sizeof want, "g-%d", k);
        assert_string_equal(ir.row[i].guid, want);
        snprintf(want, sizeof want, "Title g %d", k);
        assert_string_equal(ir.row[i].title, want);
        snprintf(want, sizeof want, "https://example.org/g/%d", k);
        assert_string_equal(ir.row[i].link, want);
        snprintf(want, sizeof want, "Author %d", k);
        assert_string_equal(ir.row[i].author, want);
        snprintf(want, sizeof want, "Summary g %d", k);
        assert_string_equal(ir.row[i].summary, want);
        assert_int_equal(ir.row[i].published, 1000 + k);
        assert_int_equal(ir.row[i].fetched, 5000);
        if (i > 0)
            assert_true(ir.row[i].id < ir.row[i - 1].id);
    }

    /* The same items again: nothing new, and stored ones are kept as they
     * were even if the feed changed their title. */
    free(f->items[0].title);
    f->items[0].title = strdup("Changed title");
    p = ok_poll(6000);
    assert_int_equal(store_feed_polled(fx->st, feed, &p, f, &n_new), CUR_OK);
    assert_int_equal(n_new, 0);
    assert_int_equal(item_count(fx->st), 3);
    memset(&ir, 0, sizeof ir);
    assert_int_equal(store_item_list(fx->st, feed, 10, item_cb, &ir),
                     CUR_OK);
    assert_string_equal(ir.row[2].title, "Title g 1");

    /* No title this time: the stored one stays; no validators: cleared. */
    get_feed(fx->st, feed, &fr);
    assert_string_equal(fr.row[0].title, "Feed A");
    assert_string_equal(fr.row[0].etag, NULL_STR);
    assert_string_equal(fr.row[0].last_modified, NULL_STR);
    assert_int_equal(fr.row[0].last_poll, 6000);

    /* One new item among the old ones. */
    struct item *it = feed_add_item(f);
    assert_non_null(it);
    it->guid = strdup("g-new");
    it->title = NULL;                   /* stored as "" */
    assert_non_null(it->guid);
    p = ok_poll(7000);
    assert_int_equal(store_feed_polled(fx->st, feed, &p, f, &n_new), CUR_OK);
    assert_int_equal(n_new, 1);
    assert_int_equal(item_count(fx->st), 4);
    memset(&ir, 0, sizeof ir);
    assert_int_equal(store_item_list(fx->st, feed, 1, item_cb, &ir), CUR_OK);
    assert_int_equal(ir.n, 1);
    assert_string_equal(ir.row[0].guid, "g-new");
    assert_string_equal(ir.row[0].title, "");
    assert_string_equal(ir.row[0].link, NULL_STR);
    assert_string_equal(ir.row[0].author, NULL_STR);
    assert_string_equal(ir.row[0].summary, NULL_STR);

    /* The same guids in another feed are other items. */
    p = ok_poll(8000);
    assert_int_equal(store_feed_polled(fx->st, other, &p, f, &n_new),
                     CUR_OK);
    assert_int_equal(n_new, 4);
    assert_int_equal(item_count(fx->st), 8);
    feed_free(f);
}

static void
test_polled_failure_then_success(void **state)
{
    struct fx *fx = *state;
    struct feed_rows fr;
    struct store_poll p = ok_poll(100);
    long long feed;
    int n_new = -1;

    feed = add_feed(fx->st, "https://example.org/a.xml");
    p.title = "Old title";
    p.etag = "\"e1\"";
    assert_int_equal(store_feed_polled(fx->st, feed, &p, NULL, &n_new),
                     CUR_OK);
    assert_int_equal(n_new, 0);

    /* Failures count up and keep the last error; items passed with a
     * failure are not stored, and validators are kept for next time. */
    struct feed *f = make_feed("x", 1, 2);
    struct store_poll bad = {
        .now = 200, .next_poll = 500, .status = 0, .error = "timeout",
    };
    assert_int_equal(store_feed_polled(fx->st, feed, &bad, f, &n_new),
                     CUR_OK);
    assert_int_equal(n_new, 0);
    get_feed(fx->st, feed, &fr);
    assert_int_equal(fr.row[0].failures, 1);
    assert_string_equal(fr.row[0].last_error, "timeout");
    assert_int_equal(fr.row[0].last_status, 0);
    assert_int_equal(fr.row[0].last_poll, 200);
    assert_int_equal(fr.row[0].last_success, 100);
    assert_int_equal(fr.row[0].next_poll, 500);
    assert_string_equal(fr.row[0].etag, "\"e1\"");
    assert_string_equal(fr.row[0].title, "Old title");
    assert_int_equal(item_count(fx->st), 0);

    bad.now = 600;
    bad.next_poll = 1600;
    bad.status = 503;
    bad.error = "HTTP 503";
    assert_int_equal(store_feed_polled(fx->st, feed, &bad, NULL, NULL),
                     CUR_OK);
    get_feed(fx->st, feed, &fr);
    assert_int_equal(fr.row[0].failures, 2);
    assert_string_equal(fr.row[0].last_error, "HTTP 503");
    assert_int_equal(fr.row[0].last_status, 503);
    assert_int_equal(fr.row[0].last_poll, 600);
    assert_int_equal(fr.row[0].last_success, 100);

    /* Success resets both. */
    p = ok_poll(2000);
    assert_int_equal(store_feed_polled(fx->st, feed, &p, f, &n_new), CUR_OK);
    assert_int_equal(n_new, 2);
    get_feed(fx->st, feed, &fr);
    assert_int_equal(fr.row[0].failures, 0);
    assert_string_equal(fr.row[0].last_error, NULL_STR);
    assert_int_equal(fr.row[0].last_status, 200);
    assert_int_equal(fr.row[0].last_success, 2000);
    assert_int_equal(fr.row[0].items, 2);
    feed_free(f);
}

static void
test_polled_unknown_feed(void **state)
{
    struct fx *fx = *state;
    struct feed *f = make_feed("x", 1, 2);
    struct store_poll p = ok_poll(100);
    int n_new = -1;

    assert_int_equal(store_feed_polled(fx->st, 777, &p, f, &n_new),
                     CUR_ENOTFOUND);
    assert_int_equal(n_new, 0);
    p.error = "gone";
    assert_int_equal(store_feed_polled(fx->st, 777, &p, NULL, NULL),
                     CUR_ENOTFOUND);
    assert_int_equal(item_count(fx->st), 0);
    feed_free(f);
}

/* An item that cannot be stored (no guid) undoes the whole poll. */
static void
test_polled_all_or_nothing(void **state)
{
    struct fx *fx = *state;
    struct feed_rows fr;
    struct store_poll p = ok_poll(100);
    long long feed;
    int n_new = -1;

    feed = add_feed(fx->st, "https://example.org/a.xml");
    struct feed *f = make_feed("x", 1, 3);
    free(f->items[2].guid);
    f->items[2].guid = NULL;
    p.title = "Should not stick";
    assert_int_not_equal(store_feed_polled(fx->st, feed, &p, f, &n_new),
                         CUR_OK);
    assert_int_equal(n_new, 0);
    assert_int_equal(item_count(fx->st), 0);
    get_feed(fx->st, feed, &fr);
    assert_int_equal(fr.row[0].last_poll, 0);
    assert_string_equal(fr.row[0].title, NULL_STR);

    /* The handle is still usable afterwards. */
    feed_drop_last_item(f);
    assert_int_equal(store_feed_polled(fx->st, feed, &p, f, &n_new), CUR_OK);
    assert_int_equal(n_new, 2);
    feed_free(f);
}

/* Inside a caller's transaction a poll neither commits nor rolls back. */
static void
test_polled_in_caller_transaction(void **state)
{
    struct fx *fx = *state;
    long long feed, n = -1;

    feed = add_feed(fx->st, "https://example.org/a.xml");
    assert_int_equal(store_begin(fx->st), CUR_OK);
    assert_int_equal(poll_items(fx->st, feed, "x", 1, 2, 100), 2);
    add_user(fx->st, "ann");
    store_rollback(fx->st);
    assert_int_equal(item_count(fx->st), 0);
    assert_int_equal(store_user_count(fx->st, &n), CUR_OK);
    assert_int_equal(n, 0);

    assert_int_equal(store_begin(fx->st), CUR_OK);
    assert_int_equal(poll_items(fx->st, feed, "x", 1, 2, 100), 2);
    assert_int_equal(store_commit(fx->st), CUR_OK);
    assert_int_equal(item_count(fx->st), 2);
    store_rollback(fx->st);             /* no transaction: a no-op */
    assert_int_equal(item_count(fx->st), 2);
}

/* Subscriptions and interests. */

static void
test_subscriptions_and_interests(void **state)
{
    struct fx *fx = *state;
    struct interest_rows r = { 0 };
    long long ann, bob, a, b, n = -1;

    ann = add_user(fx->st, "ann");
    bob = add_user(fx->st, "bob");
    a = add_feed(fx->st, "https://example.org/a");
    b = add_feed(fx->st, "https://example.org/b");

    assert_int_equal(store_subscribe(fx->st, ann, a), CUR_OK);
    assert_int_equal(store_subscribe(fx->st, ann, b), CUR_OK);
    assert_int_equal(store_subscribe(fx->st, ann, a), CUR_OK);   /* twice */
    assert_int_equal(store_subscribe(fx->st, bob, b), CUR_OK);
    assert_int_equal(store_subscription_count(fx->st, ann, &n), CUR_OK);
    assert_int_equal(n, 2);
    assert_int_equal(store_subscription_count(fx->st, bob, &n), CUR_OK);
    assert_int_equal(n, 1);
    assert_int_equal(store_subscribe(fx->st, ann, b + 10), CUR_ENOTFOUND);
    assert_int_equal(store_subscribe(fx->st, bob + 10, a), CUR_ENOTFOUND);

    assert_int_equal(store_interest_add(fx->st, ann, "coaching", 2.0),
                     CUR_OK);
    assert_int_equal(store_interest_add(fx->st, ann, "onboarding", 1.0),
                     CUR_OK);
    assert_int_equal(store_interest_add(fx->st, ann, "feedback", -1.5),
                     CUR_OK);
    assert_int_equal(store_interest_add(fx->st, ann, "agile", 2.0), CUR_OK);
    assert_int_equal(store_interest_add(fx->st, ann, "onboarding", 3.25),
                     CUR_OK);   /* update */
    assert_int_equal(store_interest_add(fx->st, bob, "coaching", -4.0),
                     CUR_OK);
    assert_int_equal(store_interest_add(fx->st, ann, "", 1.0), CUR_EINVAL);
    assert_int_equal(store_interest_add(fx->st, bob + 10, "x", 1.0),
                     CUR_ENOTFOUND);

    /* Heaviest first; equal weights by term. */
    assert_int_equal(store_interest_list(fx->st, ann, interest_cb, &r),
                     CUR_OK);
    assert_int_equal(r.n, 4);
    assert_string_equal(r.row[0].term, "onboarding");
    assert_true(r.row[0].weight == 3.25);
    assert_string_equal(r.row[1].term, "agile");
    assert_true(r.row[1].weight == 2.0);
    assert_string_equal(r.row[2].term, "coaching");
    assert_true(r.row[2].weight == 2.0);
    assert_string_equal(r.row[3].term, "feedback");
    assert_true(r.row[3].weight == -1.5);

    memset(&r, 0, sizeof r);
    assert_int_equal(store_interest_list(fx->st, bob, interest_cb, &r),
                     CUR_OK);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.row[0].term, "coaching");
    assert_true(r.row[0].weight == -4.0);
}

/* Items for a user, and digests. */

static void
test_items_for_user(void **state)
{
    struct fx *fx = *state;
    struct item_rows r = { 0 };
    long long ann, bob, cy, a, b, c;

    ann = add_user(fx->st, "ann");
    bob = add_user(fx->st, "bob");
    cy = add_user(fx->st, "cy");
    a = add_feed(fx->st, "https://example.org/a");
    b = add_feed(fx->st, "https://example.org/b");
    c = add_feed(fx->st, "https://example.org/c");
    assert_int_equal(store_subscribe(fx->st, ann, a), CUR_OK);
    assert_int_equal(store_subscribe(fx->st, ann, b), CUR_OK);
    assert_int_equal(store_subscribe(fx->st, bob, c), CUR_OK);

    /* Arrival order a, c, b interleaves the ids of ann's feeds. */
    assert_int_equal(poll_items(fx->st, a, "a", 1, 2, 100), 2);
    assert_int_equal(poll_items(fx->st, c, "c", 1, 2, 100), 2);
    assert_int_equal(poll_items(fx->st, b, "b", 1, 2, 100), 2);

    assert_int_equal(store_items_for_user(fx->st, ann, 0, 100, item_cb, &r),
                     CUR_OK);
    assert_int_equal(r.n, 4);
    assert_string_equal(r.row[0].guid, "a-1");
    assert_string_equal(r.row[1].guid, "a-2");
    assert_string_equal(r.row[2].guid, "b-1");
    assert_string_equal(r.row[3].guid, "b-2");
    assert_int_equal(r.row[2].feed_id, b);
    for (size_t i = 1; i < r.n; i++)
        assert_true(r.row[i].id > r.row[i - 1].id);
    long long second = r.row[1].id, last = r.row[3].id;

    /* Only above the cursor; at most 'limit'. */
    memset(&r, 0, sizeof r);
    assert_int_equal(store_items_for_user(fx->st, ann, second, 100, item_cb,
                                          &r), CUR_OK);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.row[0].guid, "b-1");
    memset(&r, 0, sizeof r);
    assert_int_equal(store_items_for_user(fx->st, ann, 0, 3, item_cb, &r),
                     CUR_OK);
    assert_int_equal(r.n, 3);
    assert_string_equal(r.row[2].guid, "b-1");
    memset(&r, 0, sizeof r);
    assert_int_equal(store_items_for_user(fx->st, ann, last, 100, item_cb,
                                          &r), CUR_OK);
    assert_int_equal(r.n, 0);

    memset(&r, 0, sizeof r);
    assert_int_equal(store_items_for_user(fx->st, bob, 0, 100, item_cb, &r),
                     CUR_OK);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.row[0].guid, "c-1");
    assert_string_equal(r.row[1].guid, "c-2");
    memset(&r, 0, sizeof r);
    assert_int_equal(store_items_for_user(fx->st, cy, 0, 100, item_cb, &r),
                     CUR_OK);
    assert_int_equal(r.n, 0);
}

static void
test_digest_done(void **state)
{
    struct fx *fx = *state;
    struct user_rows ur = { 0 };
    struct item_rows ir = { 0 };
    char path[64];
    long long ann, bob, a;

    assert_int_equal(store_open(fx->path, &fx->st), CUR_OK);
    ann = add_user(fx->st, "ann");
    bob = add_user(fx->st, "bob");
    a = add_feed(fx->st, "https://example.org/a");
    assert_int_equal(store_subscribe(fx->st, ann, a), CUR_OK);
    assert_int_equal(poll_items(fx->st, a, "a", 1, 3, 100), 3);
    assert_int_equal(store_items_for_user(fx->st, ann, 0, 100, item_cb, &ir),
                     CUR_OK);
    assert_int_equal(ir.n, 3);
    long long cursor = ir.row[1].id;

    assert_int_equal(store_digest_done(fx->st, ann, 5000, cursor, 2,
                                       "/spool/ann-1.txt"), CUR_OK);
    assert_int_equal(store_user_list(fx->st, user_cb, &ur), CUR_OK);
    assert_int_equal(ur.row[0].id, ann);
    assert_int_equal(ur.row[0].last_digest, 5000);
    assert_int_equal(ur.row[0].digest_cursor, cursor);
    assert_int_equal(ur.row[1].id, bob);        /* others untouched */
    assert_int_equal(ur.row[1].last_digest, 0);
    assert_int_equal(ur.row[1].digest_cursor, 0);

    /* The next digest starts after the cursor. */
    memset(&ir, 0, sizeof ir);
    assert_int_equal(store_items_for_user(fx->st, ann,
                                          ur.row[0].digest_cursor, 100,
                                          item_cb, &ir), CUR_OK);
    assert_int_equal(ir.n, 1);
    assert_string_equal(ir.row[0].guid, "a-3");

    /* A cursor never moves back; the time does move on. */
    assert_int_equal(store_digest_done(fx->st, ann, 6000, 1, 0, NULL),
                     CUR_OK);
    memset(&ur, 0, sizeof ur);
    assert_int_equal(store_user_list(fx->st, user_cb, &ur), CUR_OK);
    assert_int_equal(ur.row[0].last_digest, 6000);
    assert_int_equal(ur.row[0].digest_cursor, cursor);

    /* Each digest is recorded. */
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM digests"), 2);
    sql_text(fx->path, "SELECT path FROM digests ORDER BY id LIMIT 1", path,
             sizeof path);
    assert_string_equal(path, "/spool/ann-1.txt");
    assert_int_equal(sql_int(fx->path, "SELECT items FROM digests"
                                       " ORDER BY id LIMIT 1"), 2);
}

static void
test_feed_remove_cascades(void **state)
{
    struct fx *fx = *state;
    struct item_rows r = { 0 };
    long long ann, a, b, n = -1;

    ann = add_user(fx->st, "ann");
    a = add_feed(fx->st, "https://example.org/a");
    b = add_feed(fx->st, "https://example.org/b");
    assert_int_equal(store_subscribe(fx->st, ann, a), CUR_OK);
    assert_int_equal(store_subscribe(fx->st, ann, b), CUR_OK);
    assert_int_equal(poll_items(fx->st, b, "b", 1, 2, 100), 2);
    assert_int_equal(poll_items(fx->st, a, "a", 1, 3, 100), 3);
    assert_int_equal(item_count(fx->st), 5);
    assert_int_equal(store_item_list(fx->st, 0, 1, item_cb, &r), CUR_OK);
    long long highest = r.row[0].id;

    assert_int_equal(store_feed_remove(fx->st, a), CUR_OK);
    assert_int_equal(item_count(fx->st), 2);
    assert_int_equal(store_subscription_count(fx->st, ann, &n), CUR_OK);
    assert_int_equal(n, 1);
    memset(&r, 0, sizeof r);
    assert_int_equal(store_item_list(fx->st, a, 10, item_cb, &r), CUR_OK);
    assert_int_equal(r.n, 0);
    assert_int_equal(store_items_for_user(fx->st, ann, 0, 10, item_cb, &r),
                     CUR_OK);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.row[0].feed_id, b);

    /* Item ids are never reused: digests use them as a cursor. */
    assert_int_equal(poll_items(fx->st, b, "b", 3, 1, 200), 1);
    memset(&r, 0, sizeof r);
    assert_int_equal(store_item_list(fx->st, 0, 1, item_cb, &r), CUR_OK);
    assert_true(r.row[0].id > highest);
}

static void
test_item_list(void **state)
{
    struct fx *fx = *state;
    struct item_rows r = { 0 };
    struct store_poll p = ok_poll(100);
    long long a, b;

    a = add_feed(fx->st, "https://example.org/a");
    b = add_feed(fx->st, "https://example.org/b");
    struct feed *f = make_feed("a", 1, 2);
    p.title = "A";
    assert_int_equal(store_feed_polled(fx->st, a, &p, f, NULL), CUR_OK);
    feed_free(f);
    assert_int_equal(poll_items(fx->st, b, "b", 1, 2, 100), 2);

    /* Every feed, newest first; feed_title may be NULL. */
    assert_int_equal(store_item_list(fx->st, 0, 10, item_cb, &r), CUR_OK);
    assert_int_equal(r.n, 4);
    assert_string_equal(r.row[0].guid, "b-2");
    assert_string_equal(r.row[0].feed_title, NULL_STR);
    assert_string_equal(r.row[3].guid, "a-1");
    assert_string_equal(r.row[3].feed_title, "A");
    memset(&r, 0, sizeof r);
    assert_int_equal(store_item_list(fx->st, 0, 3, item_cb, &r), CUR_OK);
    assert_int_equal(r.n, 3);
    memset(&r, 0, sizeof r);
    assert_int_equal(store_item_list(fx->st, a, 10, item_cb, &r), CUR_OK);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.row[0].guid, "a-2");
    assert_string_equal(r.row[1].guid, "a-1");

    /* Stopping early, then walking again from the start. */
    memset(&r, 0, sizeof r);
    r.stop_after = 2;
    assert_int_equal(store_item_list(fx->st, 0, 10, item_cb, &r), 7);
    assert_int_equal(r.n, 2);
    memset(&r, 0, sizeof r);
    assert_int_equal(store_item_list(fx->st, 0, 10, item_cb, &r), CUR_OK);
    assert_int_equal(r.n, 4);
}

static void
test_callback_stop(void **state)
{
    struct fx *fx = *state;
    struct user_rows ur = { 0 };
    struct feed_rows fr = { 0 };
    long long a;

    add_user(fx->st, "ann");
    add_user(fx->st, "bob");
    a = add_feed(fx->st, "https://example.org/a");
    add_feed(fx->st, "https://example.org/b");

    ur.stop_after = 1;
    assert_int_equal(store_user_list(fx->st, user_cb, &ur), 7);
    assert_int_equal(ur.n, 1);
    memset(&ur, 0, sizeof ur);
    assert_int_equal(store_user_list(fx->st, user_cb, &ur), CUR_OK);
    assert_int_equal(ur.n, 2);

    fr.stop_after = 1;
    assert_int_equal(store_feed_list(fx->st, feed_cb, &fr), 7);
    memset(&fr, 0, sizeof fr);
    fr.stop_after = 1;
    assert_int_equal(store_feed_get(fx->st, a, feed_cb, &fr), 7);
    assert_int_equal(fr.n, 1);
}

/* Text with SQL in it is data, nothing more. */
static void
test_sql_metacharacters(void **state)
{
    struct fx *fx = *state;
    struct user_rows ur = { 0 };
    struct feed_rows fr = { 0 };
    struct item_rows ir = { 0 };
    struct interest_rows in = { 0 };
    static const char url[] = "https://example.org/?q=" EVIL;
    static const char odd[] = "x'); DELETE FROM feeds; -- \" ` \\ % _ "
                              "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac";
    long long ann, feed, id = -1;

    /* An email cannot hold "; " at all: refused by validation. */
    assert_int_equal(store_user_add(fx->st, "eve", "e" EVIL "@example.org",
                                    NULL), CUR_EINVAL);
    assert_int_equal(store_user_add(fx->st, "ann", "o'brien'--@example.org",
                                    &ann), CUR_OK);
    assert_int_equal(store_user_list(fx->st, user_cb, &ur), CUR_OK);
    assert_int_equal(ur.n, 1);
    assert_string_equal(ur.row[0].email, "o'brien'--@example.org");

    assert_int_equal(store_feed_add(fx->st, url, "web", &feed), CUR_OK);
    assert_int_equal(store_feed_find(fx->st, url, &id), CUR_OK);
    assert_int_equal(id, feed);
    assert_int_equal(store_feed_add(fx->st, odd, "cli", NULL), CUR_OK);

    struct feed *f = make_feed(EVIL, 1, 1);
    free(f->items[0].title);
    f->items[0].title = strdup(EVIL);
    free(f->items[0].text);
    f->items[0].text = strdup(odd);
    struct store_poll p = ok_poll(100);
    p.title = EVIL;
    p.etag = odd;
    assert_int_equal(store_feed_polled(fx->st, feed, &p, f, NULL), CUR_OK);
    feed_free(f);
    assert_int_equal(store_subscribe(fx->st, ann, feed), CUR_OK);
    assert_int_equal(store_interest_add(fx->st, ann, EVIL, 1.0), CUR_OK);

    assert_int_equal(store_feed_list(fx->st, feed_cb, &fr), CUR_OK);
    assert_int_equal(fr.n, 2);
    assert_string_equal(fr.row[0].url, url);
    assert_string_equal(fr.row[0].title, EVIL);
    assert_string_equal(fr.row[0].etag, odd);
    assert_string_equal(fr.row[1].url, odd);
    assert_int_equal(store_items_for_user(fx->st, ann, 0, 10, item_cb, &ir),
                     CUR_OK);
    assert_int_equal(ir.n, 1);
    assert_string_equal(ir.row[0].title, EVIL);
    assert_string_equal(ir.row[0].guid, EVIL "-1");
    assert_string_equal(ir.row[0].summary, odd);
    assert_string_equal(ir.row[0].feed_title, EVIL);
    assert_int_equal(store_interest_list(fx->st, ann, interest_cb, &in),
                     CUR_OK);
    assert_int_equal(in.n, 1);
    assert_string_equal(in.row[0].term, EVIL);

    /* The items table is still there and still counts. */
    assert_int_equal(item_count(fx->st), 1);
}

/* Polling state of schema 2: health, schedule, hints, disabling. */

/* A copy of the schema-2 polling columns of one feed. */
struct poll_state {
    long long last_failure, disabled_at, next_poll;
    long interval, ttl, update_period;
    unsigned skip_hours, skip_days;
    char body_hash[80], site_url[128], category[64], reason[128];
    char etag[64], last_modified[64], url[128];
    int failures, last_status;
};

static int
poll_state_cb(void *ctx, const struct store_feed *f)
{
    struct poll_state *s = ctx;
    s->last_failure = f->last_failure;
    s->disabled_at = f->disabled_at;
    s->next_poll = f->next_poll;
    s->interval = f->poll_interval;
    s->ttl = f->ttl;
    s->update_period = f->update_period;
    s->skip_hours = f->skip_hours;
    s->skip_days = f->skip_days;
    s->failures = f->failures;
    s->last_status = f->last_status;
    COPY(s->body_hash, f->body_hash);
    COPY(s->site_url, f->site_url);
    COPY(s->category, f->category);
    COPY(s->reason, f->disabled_reason);
    COPY(s->etag, f->etag);
    COPY(s->last_modified, f->last_modified);
    COPY(s->url, f->url);
    return 0;
}

static struct poll_state
poll_state(struct store *st, long long id)
{
    struct poll_state s;
    memset(&s, 0, sizeof s);
    assert_int_equal(store_feed_get(st, id, poll_state_cb, &s), CUR_OK);
    return s;
}

static void
test_polled_schedule_and_health(void **state)
{
    struct fx *fx = *state;
    struct feed_rows r = { 0 };
    long long feed = add_feed(fx->st, "https://example.org/s.xml");
    struct store_poll p = ok_poll(100);

    /* A parsed body: its hash, the interval, the publisher's hints. */
    p.etag = "\"v1\"";
    p.last_modified = "Tue, 03 Nov 2026 09:30:00 GMT";
    p.body_hash = "abc123";
    p.interval = 7200;
    p.site_url = "https://example.org/";
    p.has_hints = 1;
    p.ttl = 3600;
    p.skip_hours = 3;
    p.skip_days = 64;
    p.update_period = 86400;
    assert_int_equal(store_feed_polled(fx->st, feed, &p, NULL, NULL),
                     CUR_OK);
    struct poll_state s = poll_state(fx->st, feed);
    assert_string_equal(s.body_hash, "abc123");
    assert_int_equal(s.interval, 7200);
    assert_string_equal(s.site_url, "https://example.org/");
    assert_int_equal(s.ttl, 3600);
    assert_int_equal(s.skip_hours, 3);
    assert_int_equal(s.skip_days, 64);
    assert_int_equal(s.update_period, 86400);
    assert_int_equal(s.last_failure, 0);

    /* A 304 without validators keeps them, and keeps what it cannot
     * know (hash, hints, site). */
    struct store_poll u = ok_poll(200);
    u.status = 304;
    u.unchanged = 1;
    u.interval = 10800;
    assert_int_equal(store_feed_polled(fx->st, feed, &u, NULL, NULL),
                     CUR_OK);
    s = poll_state(fx->st, feed);
    assert_int_equal(s.last_status, 304);
    assert_string_equal(s.etag, "\"v1\"");
    assert_string_equal(s.last_modified, "Tue, 03 Nov 2026 09:30:00 GMT");
    assert_string_equal(s.body_hash, "abc123");
    assert_int_equal(s.interval, 10800);
    assert_int_equal(s.ttl, 3600);
    /* A 200 without validators drops the old ones. */
    struct store_poll n = ok_poll(300);
    assert_int_equal(store_feed_polled(fx->st, feed, &n, NULL, NULL),
                     CUR_OK);
    s = poll_state(fx->st, feed);
    assert_string_equal(s.etag, NULL_STR);
    assert_string_equal(s.last_modified, NULL_STR);

    /* A failure: counted, timed; a 410 disables with the reason. */
    struct store_poll bad = ok_poll(400);
    bad.status = 500;
    bad.error = "HTTP 500";
    assert_int_equal(store_feed_polled(fx->st, feed, &bad, NULL, NULL),
                     CUR_OK);
    s = poll_state(fx->st, feed);
    assert_int_equal(s.failures, 1);
    assert_int_equal(s.last_failure, 400);
    assert_int_equal(s.disabled_at, 0);
    bad.now = 500;
    bad.status = 410;
    bad.error = bad.disable = "HTTP 410 Gone";
    assert_int_equal(store_feed_polled(fx->st, feed, &bad, NULL, NULL),
                     CUR_OK);
    s = poll_state(fx->st, feed);
    assert_int_equal(s.disabled_at, 500);
    assert_string_equal(s.reason, "HTTP 410 Gone");
    assert_int_equal(s.failures, 2);
    /* Disabled: never due, and not in the next due time. */
    long long when = -1;
    assert_int_equal(store_feed_due(fx->st, LLONG_MAX, feed_cb, &r), CUR_OK);
    assert_int_equal(r.n, 0);
    assert_int_equal(store_feed_next_due(fx->st, &when), CUR_OK);
    assert_int_equal(when, 0);
    /* A later failure keeps it disabled; a success enables it again. */
    bad.disable = NULL;
    bad.error = "HTTP 500";
    assert_int_equal(store_feed_polled(fx->st, feed, &bad, NULL, NULL),
                     CUR_OK);
    assert_int_equal(poll_state(fx->st, feed).disabled_at, 500);
    struct store_poll ok = ok_poll(600);
    assert_int_equal(store_feed_polled(fx->st, feed, &ok, NULL, NULL),
                     CUR_OK);
    s = poll_state(fx->st, feed);
    assert_int_equal(s.disabled_at, 0);
    assert_string_equal(s.reason, NULL_STR);
    assert_int_equal(s.failures, 0);
    assert_int_equal(s.last_failure, 500);
    assert_int_equal(store_feed_due(fx->st, LLONG_MAX, feed_cb, &r), CUR_OK);
    assert_int_equal(r.n, 1);
}

static void
test_feed_import_move_spread(void **state)
{
    struct fx *fx = *state;
    long long a, b, id = -1, n = -1;

    assert_int_equal(store_feed_import(fx->st, "https://example.org/a",
                                       "A", "https://example.org/",
                                       "Tech/C", "cli", &a), CUR_OK);
    struct poll_state s = poll_state(fx->st, a);
    assert_string_equal(s.site_url, "https://example.org/");
    assert_string_equal(s.category, "Tech/C");
    assert_int_equal(store_feed_import(fx->st, "https://example.org/a",
                                       "other", NULL, NULL, "cli", &id),
                     CUR_EEXIST);
    assert_int_equal(id, a);
    assert_string_equal(poll_state(fx->st, a).category, "Tech/C");

    /* Moving: to a free URL, not onto another feed's. */
    b = add_feed(fx->st, "https://example.org/b");
    assert_int_equal(store_feed_move(fx->st, a, "https://example.org/a2"),
                     CUR_OK);
    assert_string_equal(poll_state(fx->st, a).url, "https://example.org/a2");
    assert_int_equal(store_feed_move(fx->st, a, "https://example.org/b"),
                     CUR_EEXIST);
    assert_string_equal(poll_state(fx->st, a).url, "https://example.org/a2");
    assert_int_equal(store_feed_move(fx->st, 999, "https://x.example/"),
                     CUR_ENOTFOUND);

    /* Spreading: only feeds polled before and overdue, over the window;
     * a feed never polled stays due now. */
    long long c = add_feed(fx->st, "https://example.org/c");
    struct store_poll p = ok_poll(100);
    p.next_poll = 150;
    assert_int_equal(store_feed_polled(fx->st, a, &p, NULL, NULL), CUR_OK);
    assert_int_equal(store_feed_polled(fx->st, b, &p, NULL, NULL), CUR_OK);
    p.next_poll = 5000;
    assert_int_equal(store_feed_polled(fx->st, c, &p, NULL, NULL), CUR_OK);
    long long d = add_feed(fx->st, "https://example.org/d");
    assert_int_equal(store_feed_spread(fx->st, 1000, 600, &n), CUR_OK);
    assert_int_equal(n, 2);
    struct feed_rows r = { 0 };
    assert_int_equal(store_feed_list(fx->st, feed_cb, &r), CUR_OK);
    for (size_t i = 0; i < r.n; i++) {
        if (r.row[i].id == a || r.row[i].id == b)
            assert_true(r.row[i].next_poll >= 1000
                        && r.row[i].next_poll < 1600);
        else if (r.row[i].id == c)
            assert_int_equal(r.row[i].next_poll, 5000);
        else if (r.row[i].id == d)
            assert_int_equal(r.row[i].next_poll, 0);
    }
    assert_int_equal(store_feed_spread(fx->st, 1000, 0, &n), CUR_OK);
    assert_int_equal(n, 0);
}

/* "Refresh now" twice makes one fetch (FETCH-9): the first brings the
 * poll forward, the second finds it due; right after a poll, refreshes
 * wait out the gap; a disabled or unknown feed is said to be so. */
static void
test_feed_refresh(void **state)
{
    struct fx *fx = *state;
    long long a = add_feed(fx->st, "https://example.org/a"), when = -1;
    struct store_poll p = ok_poll(1000);

    p.next_poll = 5000;
    assert_int_equal(store_feed_polled(fx->st, a, &p, NULL, NULL), CUR_OK);
    assert_int_equal(store_feed_refresh(fx->st, a, 1030, 60, &when),
                     CUR_EEXIST);
    assert_int_equal(when, 1060);
    assert_int_equal(poll_state(fx->st, a).next_poll, 5000);

    assert_int_equal(store_feed_refresh(fx->st, a, 1100, 60, &when), CUR_OK);
    assert_int_equal(when, 1100);
    assert_int_equal(poll_state(fx->st, a).next_poll, 1100);
    assert_int_equal(store_feed_refresh(fx->st, a, 1101, 60, &when),
                     CUR_EEXIST);
    assert_int_equal(when, 1100);
    assert_int_equal(poll_state(fx->st, a).next_poll, 1100);

    /* A gap of 0: only "already due" stops it. */
    p = ok_poll(1200);
    p.next_poll = 5000;
    assert_int_equal(store_feed_polled(fx->st, a, &p, NULL, NULL), CUR_OK);
    assert_int_equal(store_feed_refresh(fx->st, a, 1200, 0, NULL), CUR_OK);

    assert_int_equal(store_feed_refresh(fx->st, 999, 1300, 60, NULL),
                     CUR_ENOTFOUND);
    struct store_poll gone = { .now = 1300, .status = 410,
                               .error = "gone", .disable = "gone" };
    gone.next_poll = 9000;
    assert_int_equal(store_feed_polled(fx->st, a, &gone, NULL, NULL),
                     CUR_OK);
    assert_int_equal(store_feed_refresh(fx->st, a, 1400, 60, NULL),
                     CUR_EINVAL);
}

static int
count_recent(void *ctx, const struct store_recent *r)
{
    (void)r;
    ++*(int *)ctx;
    return 0;
}

/* Recent search hits for 'typed'. */
static int
search_hits(struct store *st, const char *typed)
{
    char q[256];
    int n = 0;
    assert_true(store_recent_query(typed, q, sizeof q) > 0);
    struct store_recent_filter f = { .query = q, .limit = 100 };
    assert_int_equal(store_recent(st, &f, count_recent, &n), CUR_OK);
    return n;
}

/* The search index takes new items in bulk, in slices; items deleted
 * before or after being indexed leave it consistent. */
static void
test_search_catch_up(void **state)
{
    struct fx *fx = *state;
    long long a = add_feed(fx->st, "https://example.org/a"), n = -1;
    long long b = add_feed(fx->st, "https://example.org/b");

    assert_int_equal(poll_items(fx->st, a, "a", 1, 3, 100), 3);
    assert_int_equal(search_hits(fx->st, "summary"), 0);
    assert_int_equal(store_search_catch_up(fx->st, 2, &n), CUR_OK);
    assert_int_equal(n, 2);
    assert_int_equal(search_hits(fx->st, "summary"), 2);
    assert_int_equal(store_search_catch_up(fx->st, 10, &n), CUR_OK);
    assert_int_equal(n, 1);
    assert_int_equal(store_search_catch_up(fx->st, 10, &n), CUR_OK);
    assert_int_equal(n, 0);
    assert_int_equal(search_hits(fx->st, "summary"), 3);
    assert_int_equal(search_hits(fx->st, "\"title a 2\""), 1);

    /* Not indexed yet, then gone: nothing to take out, nothing left. */
    assert_int_equal(poll_items(fx->st, b, "b", 1, 2, 100), 2);
    assert_int_equal(store_feed_remove(fx->st, b), CUR_OK);
    assert_int_equal(store_search_catch_up(fx->st, 10, &n), CUR_OK);
    assert_int_equal(n, 0);
    /* Indexed, then gone: the trigger takes them out. */
    assert_int_equal(store_feed_remove(fx->st, a), CUR_OK);
    assert_int_equal(search_hits(fx->st, "summary"), 0);
    assert_int_equal(poll_items(fx->st, add_feed(fx->st, "https://x.org/"),
                                "c", 1, 1, 100), 1);
    assert_int_equal(store_search_catch_up(fx->st, 10, &n), CUR_OK);
    assert_int_equal(n, 1);
    assert_int_equal(search_hits(fx->st, "summary"), 1);
}

/* Inside a caller's transaction, a failed poll undoes only itself. */
static void
test_polled_savepoint(void **state)
{
    struct fx *fx = *state;
    long long a = add_feed(fx->st, "https://example.org/a");
    long long b = add_feed(fx->st, "https://example.org/b");
    struct feed *fa = make_feed("a", 1, 2), *fb = make_feed("b", 1, 3);
    struct store_poll p = ok_poll(100);
    int n_new = -1;

    /* The last item of b cannot be stored (no identity). */
    free(fb->items[2].guid);
    fb->items[2].guid = NULL;
    assert_int_equal(store_begin(fx->st), CUR_OK);
    assert_int_equal(store_feed_polled(fx->st, a, &p, fa, &n_new), CUR_OK);
    assert_int_equal(n_new, 2);
    assert_int_not_equal(store_feed_polled(fx->st, b, &p, fb, &n_new),
                         CUR_OK);
    assert_int_equal(n_new, 0);
    assert_int_equal(store_commit(fx->st), CUR_OK);
    assert_int_equal(item_count(fx->st), 2);
    struct feed_rows r = { 0 };
    get_feed(fx->st, b, &r);
    assert_int_equal(r.row[0].last_poll, 0);    /* untouched */
    get_feed(fx->st, a, &r);
    assert_int_equal(r.row[0].last_poll, 100);
    feed_free(fa);
    feed_free(fb);
}

/* A database as the first Curator wrote it (schema 1) is moved forward
 * with its rows; the new columns start empty. */
static void
test_upgrade_from_schema_1(void **state)
{
    struct fx *fx = *state;
    sqlite3 *db;
    static const char v1[] =
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL "
        "UNIQUE, email TEXT NOT NULL, role TEXT NOT NULL DEFAULT "
        "'subscriber' CHECK (role IN ('subscriber', 'editor', 'admin')), "
        "created INTEGER NOT NULL, last_digest INTEGER NOT NULL DEFAULT 0, "
        "digest_cursor INTEGER NOT NULL DEFAULT 0);"
        "CREATE TABLE feeds (id INTEGER PRIMARY KEY, url TEXT NOT NULL "
        "UNIQUE, title TEXT, origin TEXT NOT NULL CHECK (origin IN "
        "('config', 'cli', 'web')), created INTEGER NOT NULL, etag TEXT, "
        "last_modified TEXT, next_poll INTEGER NOT NULL DEFAULT 0, "
        "last_poll INTEGER NOT NULL DEFAULT 0, last_success INTEGER NOT "
        "NULL DEFAULT 0, last_status INTEGER NOT NULL DEFAULT 0, failures "
        "INTEGER NOT NULL DEFAULT 0, last_error TEXT);"
        "CREATE INDEX feeds_next_poll ON feeds(next_poll);"
        "CREATE TABLE subscriptions (user_id INTEGER NOT NULL REFERENCES "
        "users(id) ON DELETE CASCADE, feed_id INTEGER NOT NULL REFERENCES "
        "feeds(id) ON DELETE CASCADE, created INTEGER NOT NULL, PRIMARY KEY "
        "(user_id, feed_id)) WITHOUT ROWID;"
        "CREATE INDEX subscriptions_feed ON subscriptions(feed_id);"
        "CREATE TABLE items (id INTEGER PRIMARY KEY AUTOINCREMENT, feed_id "
        "INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE, guid TEXT "
        "NOT NULL, title TEXT NOT NULL, link TEXT, author TEXT, summary "
        "TEXT, published INTEGER NOT NULL DEFAULT 0, updated INTEGER NOT "
        "NULL DEFAULT 0, fetched INTEGER NOT NULL, UNIQUE (feed_id, guid));"
        "CREATE INDEX items_feed ON items(feed_id, id);"
        "CREATE TABLE interests (id INTEGER PRIMARY KEY, user_id INTEGER "
        "NOT NULL REFERENCES users(id) ON DELETE CASCADE, term TEXT NOT "
        "NULL, weight REAL NOT NULL DEFAULT 1.0, UNIQUE (user_id, term));"
        "CREATE TABLE digests (id INTEGER PRIMARY KEY, user_id INTEGER NOT "
        "NULL REFERENCES users(id) ON DELETE CASCADE, created INTEGER NOT "
        "NULL, cursor INTEGER NOT NULL, items INTEGER NOT NULL, path TEXT);"
        "CREATE INDEX digests_user ON digests(user_id, created);"
        "INSERT INTO feeds (url, title, origin, created, etag, next_poll,"
        " last_poll, last_success, last_status, failures)"
        " VALUES ('https://old.example/feed', 'Old', 'cli', 1, '\"e\"', 50,"
        " 40, 40, 200, 0);"
        "INSERT INTO items (feed_id, guid, title, fetched)"
        " VALUES (1, 'g1', 'An old item', 40);"
        "PRAGMA user_version = 1;";
    assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, v1, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    assert_int_equal(store_open(fx->path, &fx->st), CUR_OK);
    assert_int_equal(sql_int(fx->path, "PRAGMA user_version"),
                     STORE_SCHEMA_VERSION);
    struct feed_rows r = { 0 };
    get_feed(fx->st, 1, &r);
    assert_string_equal(r.row[0].url, "https://old.example/feed");
    assert_string_equal(r.row[0].etag, "\"e\"");
    assert_int_equal(r.row[0].next_poll, 50);
    assert_int_equal(r.row[0].items, 1);
    struct poll_state s = poll_state(fx->st, 1);
    assert_int_equal(s.disabled_at, 0);
    assert_int_equal(s.interval, 0);
    assert_string_equal(s.body_hash, NULL_STR);
    assert_string_equal(s.category, NULL_STR);
    /* Due as before, through the new index. */
    memset(&r, 0, sizeof r);
    assert_int_equal(store_feed_due(fx->st, 50, feed_cb, &r), CUR_OK);
    assert_int_equal(r.n, 1);
    assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM sqlite_master"
                                       " WHERE name = 'feeds_next_poll'"),
                     0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_memory, setup_mem,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reopen_keeps_data, setup_file,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_newer_schema_refused,
                                        setup_file, teardown),
        cmocka_unit_test_setup_teardown(test_file_wal_and_foreign_keys,
                                        setup_file, teardown),
        cmocka_unit_test_setup_teardown(test_not_a_database, setup_file,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_empty_file_becomes_database,
                                        setup_file, teardown),
        cmocka_unit_test_setup_teardown(test_users, setup_mem, teardown),
        cmocka_unit_test_setup_teardown(test_user_invalid, setup_mem,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_feeds_add_get_list_remove,
                                        setup_mem, teardown),
        cmocka_unit_test_setup_teardown(test_feed_duplicate_url, setup_mem,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_feed_bad_origin, setup_mem,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_feed_due_and_next_due,
                                        setup_mem, teardown),
        cmocka_unit_test_setup_teardown(test_polled_items_keep_html,
                                        setup_mem, teardown),
        cmocka_unit_test_setup_teardown(test_polled_success_stores_items,
                                        setup_mem, teardown),
        cmocka_unit_test_setup_teardown(test_polled_failure_then_success,
                                        setup_mem, teardown),
        cmocka_unit_test_setup_teardown(test_polled_unknown_feed, setup_mem,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_polled_all_or_nothing,
                                        setup_mem, teardown),
        cmocka_unit_test_setup_teardown(test_polled_in_caller_transaction,
                                        setup_mem, teardown),
        cmocka_unit_test_setup_teardown(test_subscriptions_and_interests,
                                        setup_mem, teardown),
        cmocka_unit_test_setup_teardown(test_items_for_user, setup_mem,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_digest_done, setup_file,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_feed_remove_cascades, setup_mem,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_item_list, setup_mem, teardown),
        cmocka_unit_test_setup_teardown(test_callback_stop, setup_mem,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sql_metacharacters, setup_mem,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_polled_schedule_and_health,
                                        setup_mem, teardown),
        cmocka_unit_test_setup_teardown(test_feed_import_move_spread,
                                        setup_mem, teardown),
        cmocka_unit_test_setup_teardown(test_feed_refresh, setup_mem,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_search_catch_up, setup_mem,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_polled_savepoint, setup_mem,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_upgrade_from_schema_1,
                                        setup_file, teardown),
    };

    log_open(NULL, LOG_ERR);    /* no "store migrated" line per test */
    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
