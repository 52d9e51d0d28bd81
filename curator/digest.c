/* Plain-text digests into the spool directory.
 *
 * The file is written under a temporary name, synced and renamed, and
 * only then is the digest recorded in the store, so a crash leaves either
 * no digest or a complete one (at worst a complete one that is written
 * again, never half a file).
 */
#include "digest.h"
#include "buf.h"
#include "date.h"
#include "err.h"
#include "log.h"
#include "sanitize.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DIGEST_SUMMARY_MAX 300
#define DIGEST_MAX_INTERESTS 256

/* ASCII case-insensitive substring search. */
static int
contains(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    if (hay == NULL || n == 0)
        return 0;
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i]
               && tolower((unsigned char)hay[i])
                  == tolower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return 1;
    }
    return 0;
}

double
digest_match(const struct store_interest *in, size_t n, const char *title,
             const char *text, char *matched, size_t len)
{
    double score = 0;
    size_t used = 0;

    if (matched && len)
        matched[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        double w = 0;
        if (contains(title, in[i].term))
            w += 2 * in[i].weight;
        if (contains(text, in[i].term))
            w += in[i].weight;
        if (w == 0)
            continue;
        score += w;
        if (matched && used + 1 < len) {
            int k = snprintf(matched + used, len - used, "%s%s",
                             used ? ", " : "", in[i].term);
            used = k > 0 && (size_t)k < len - used ? used + (size_t)k
                                                   : len - 1;
        }
    }
    return score;
}

/* A user's interests, copied out of the store. */
struct interests {
    struct store_interest v[DIGEST_MAX_INTERESTS];
    char *terms[DIGEST_MAX_INTERESTS];
    size_t n;
};

static int
collect_interest(void *ctx, const struct store_interest *in)
{
    struct interests *l = ctx;
    if (l->n == DIGEST_MAX_INTERESTS)
        return 0;
    l->terms[l->n] = strdup(in->term);
    if (l->terms[l->n] == NULL)
        return CUR_ENOMEM;
    l->v[l->n].term = l->terms[l->n];
    l->v[l->n].weight = in->weight;
    l->n++;
    return 0;
}

/* One ranked entry, copied out of the row. */
struct entry {
    double score;
    long long id;
    char *title, *feed, *link, *summary, *matched;
    long long published;
};

/* The best max_items entries seen so far, best first. */
struct ranking {
    const struct interests *interests;
    struct entry *top;
    unsigned cap, n;
    long long total, cursor;
    int oom;
};

static void
entry_free(struct entry *e)
{
    free(e->title);
    free(e->feed);
    free(e->link);
    free(e->summary);
    free(e->matched);
}

static char *
copy(const char *s)
{
    return strdup(s ? s : "");
}

static int
rank_item(void *ctx, const struct store_item *it)
{
    struct ranking *r = ctx;
    char matched[256];
    double score = digest_match(r->interests->v, r->interests->n, it->title,
                                it->summary, matched, sizeof matched);

    r->total++;
    if (it->id > r->cursor)
        r->cursor = it->id;
    /* Ties keep arrival order: a later item must score strictly more. */
    unsigned pos = r->n;
    while (pos > 0 && r->top[pos - 1].score < score)
        pos--;
    if (pos >= r->cap)
        return 0;
    if (r->n == r->cap)
        entry_free(&r->top[--r->n]);
    memmove(&r->top[pos + 1], &r->top[pos], (r->n - pos) * sizeof *r->top);
    struct entry *e = &r->top[pos];
    *e = (struct entry) {
        .score = score, .id = it->id, .published = it->published,
        .title = copy(it->title), .feed = copy(it->feed_title),
        .link = copy(it->link), .summary = copy(it->summary),
        .matched = copy(matched),
    };
    r->n++;
    if (!e->title || !e->feed || !e->link || !e->summary || !e->matched) {
        r->oom = 1;
        return CUR_ENOMEM;
    }
    return 0;
}

static int
render(struct buf *b, const char *user, const char *email, long long now,
       long long since, const struct ranking *r)
{
    char when[32], day[32];
    int rc = 0;

    date_format(now, when, sizeof when);
    rc |= buf_printf(b, "To: %s <%s>\nDate: %s\nSubject: Your Curator "
                     "digest: %lld new item%s\n\n", user, email, when,
                     r->total, r->total == 1 ? "" : "s");
    rc |= buf_printf(b, "Hello %s,\n\n%lld new item%s in your feeds", user,
                     r->total, r->total == 1 ? "" : "s");
    if (since)
        rc |= buf_printf(b, " since %s", date_format(since, day, sizeof day));
    rc |= buf_puts(b, ", best matches for your interests first.\n");
    for (unsigned i = 0; i < r->n && rc == 0; i++) {
        const struct entry *e = &r->top[i];
        rc |= buf_printf(b, "\n%u. %s\n   %s", i + 1, e->title,
                         e->feed[0] ? e->feed : "(untitled feed)");
        if (e->published) {
            date_format(e->published, day, sizeof day);
            rc |= buf_printf(b, " - %.10s", day);
        }
        rc |= buf_puts(b, "\n");
        if (e->link[0])
            rc |= buf_printf(b, "   %s\n", e->link);
        if (e->matched[0])
            rc |= buf_printf(b, "   Matches your interests: %s\n",
                             e->matched);
        if (e->summary[0]) {
            /* Cut on a word and character boundary, never mid-UTF-8. */
            sanitize_squeeze(e->summary, DIGEST_SUMMARY_MAX);
            rc |= buf_printf(b, "   %s\n", e->summary);
        }
    }
    if (r->total > r->n)
        rc |= buf_printf(b, "\n%lld more item%s not shown (at most %u per "
                         "digest).\n", r->total - r->n,
                         r->total - r->n == 1 ? "" : "s", r->cap);
    rc |= buf_puts(b, "\n-- \nCurator\n");
    return rc ? CUR_ENOMEM : CUR_OK;
}

/* Write 'data' to dir/name atomically: temp file, fsync, rename. */
static int
write_spool(const char *dir, const char *name, const char *data, size_t len)
{
    char tmp[4096], path[4096];
    int fd, ok;

    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name)
        >= sizeof path
        || (size_t)snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name)
           >= sizeof tmp)
        return CUR_EINVAL;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) {
        log_err("digest write failed path=%s err=\"%s\"", tmp,
                strerror(errno));
        return CUR_EIO;
    }
    ok = write(fd, data, len) == (ssize_t)len && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        log_err("digest write failed path=%s err=\"%s\"", path,
                strerror(errno));
        unlink(tmp);
        return CUR_EIO;
    }
    /* Make the rename itself durable before the store says "sent". */
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    return CUR_OK;
}

struct due_user {
    long long id, last_digest, cursor;
    char *name, *email;
};

struct due_users {
    struct due_user *v;
    size_t n;
    long long now, interval;
    int oom;
};

static int
collect_user(void *ctx, const struct store_user *u)
{
    struct due_users *l = ctx;
    if (u->last_digest != 0 && u->last_digest + l->interval > l->now)
        return 0;
    struct due_user *v = realloc(l->v, (l->n + 1) * sizeof *v);
    if (v == NULL) {
        l->oom = 1;
        return CUR_ENOMEM;
    }
    l->v = v;
    v[l->n] = (struct due_user) {
        .id = u->id, .last_digest = u->last_digest,
        .cursor = u->digest_cursor,
        .name = strdup(u->name), .email = strdup(u->email),
    };
    l->n++;
    return v[l->n - 1].name && v[l->n - 1].email ? 0 : CUR_ENOMEM;
}

static int
digest_user(struct store *st, const struct digest_cfg *cfg, long long now,
            const struct due_user *u, int *written)
{
    struct interests in = { .n = 0 };
    struct ranking r = { .interests = &in, .cap = cfg->max_items,
                         .cursor = u->cursor };
    struct buf b;
    int rc;

    buf_init(&b, 0);
    r.top = calloc(cfg->max_items, sizeof *r.top);
    rc = r.top ? store_interest_list(st, u->id, collect_interest, &in)
               : CUR_ENOMEM;
    if (rc == CUR_OK)
        rc = store_items_for_user(st, u->id, u->cursor, 1000000, rank_item,
                                  &r);
    if (rc == CUR_OK && r.total > 0) {
        char name[256], stamp[32];
        date_format(now, stamp, sizeof stamp);
        /* "2026-11-29T03:40:00Z" -> "20261129T034000Z" for a file name */
        size_t k = 0;
        for (size_t i = 0; stamp[i]; i++)
            if (stamp[i] != '-' && stamp[i] != ':')
                stamp[k++] = stamp[i];
        stamp[k] = '\0';
        snprintf(name, sizeof name, "%s-%s.txt", stamp, u->name);
        rc = render(&b, u->name, u->email, now, u->last_digest, &r);
        if (rc == CUR_OK)
            rc = write_spool(cfg->spool_dir, name, b.data, b.len);
        if (rc == CUR_OK)
            rc = store_digest_done(st, u->id, now, r.cursor, (int)r.n, name);
        if (rc == CUR_OK) {
            (*written)++;
            log_info("digest written user=%s items=%u new=%lld file=%s",
                     u->name, r.n, r.total, name);
        }
    }
    for (unsigned i = 0; i < r.n; i++)
        entry_free(&r.top[i]);
    free(r.top);
    for (size_t i = 0; i < in.n; i++)
        free(in.terms[i]);
    buf_free(&b);
    return rc;
}

int
digest_run_due(struct store *st, const struct digest_cfg *cfg,
               long long now, int *written)
{
    struct due_users due = { .now = now, .interval = cfg->interval };
    int count = 0, rc;

    rc = store_user_list(st, collect_user, &due);
    for (size_t i = 0; rc == CUR_OK && i < due.n; i++) {
        rc = digest_user(st, cfg, now, &due.v[i], &count);
        if (rc != CUR_OK)
            log_err("digest failed user=%s err=\"%s\"", due.v[i].name,
                    cur_strerror(rc));
    }
    for (size_t i = 0; i < due.n; i++) {
        free(due.v[i].name);
        free(due.v[i].email);
    }
    free(due.v);
    if (written)
        *written = count;
    return rc;
}
