/* Email digests: selection, composition, queueing and delivery (see
 * digest.h). Selection reads the stored scores (score.c wrote them once
 * per item), so composing a digest costs a few indexed queries and the
 * rendering, whatever the number of users.
 *
 * A round of digests (digest_queue_due()) does once what its digests
 * share: team members, each schedule's period, item details, rendered
 * snippets, the HMAC key schedule of the signed links, and its working
 * memory; each digest comes out byte for byte as composed alone. In
 * spool mode delivery writes a batch of files with shared syncs and
 * records the batch's outcomes in one transaction.
 */
#include "digest.h"
#include "date.h"
#include "digest_render.h"
#include "digest_time.h"
#include "err.h"
#include "log.h"
#include "mail.h"
#include "metrics.h"
#include "mime.h"
#include "score.h"

#include <math.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CANDIDATES 400          /* scored rows read per digest */
#define MAX_GOALS 16
#define MAX_ENTRIES 200
#define SMTP_BATCH 50           /* outbox rows read at once for SMTP */
#define SPOOL_BATCH 256         /* and for the spool, synced together */
#define MAX_TEAM 10             /* team shares per digest at most */
#define QUEUE_BATCH 256         /* digests queued per transaction */
#define QUEUE_HOLD_MS 150       /* or fewer, to let other writers in */

void
digest_out_init(struct digest_out *o)
{
    memset(o, 0, sizeof *o);
    buf_init(&o->message, 0);
}

void
digest_out_free(struct digest_out *o)
{
    buf_free(&o->message);
    free(o->items);
    free(o->text);
    free(o->html);
    o->items = NULL;
    o->text = o->html = NULL;
}

/* Links. */

static void
link_base(const struct digest_cfg *c, char *out, size_t len)
{
    size_t n = strlen(c->base_url);
    snprintf(out, len, "%.*s", (int)(n && c->base_url[n - 1] == '/'
                                     ? n - 1 : n), c->base_url);
}

void
digest_unsubscribe_url(const struct digest_cfg *c, long long user_id,
                       char *out, size_t len)
{
    char base[256], tok[TOKEN_LEN + 1];
    link_base(c, base, sizeof base);
    token_make(c->key, "unsubscribe", user_id, NULL, tok);
    snprintf(out, len, "%s/unsubscribe?u=%lld&t=%s", base, user_id, tok);
}

void
digest_feedback_url(const struct digest_cfg *c, long long user_id,
                    long long item_id, int verdict, char *out, size_t len)
{
    char base[256], tok[TOKEN_LEN + 1], extra[48];
    link_base(c, base, sizeof base);
    snprintf(extra, sizeof extra, "%lld:%s", item_id, verdict > 0 ? "up"
                                                                  : "down");
    token_make(c->key, "feedback", user_id, extra, tok);
    snprintf(out, len, "%s/vote?u=%lld&i=%lld&v=%s&t=%s", base, user_id,
             item_id, verdict > 0 ? "up" : "down", tok);
}

void
digest_feed_url(const struct digest_cfg *c, long long user_id, char *out,
                size_t len)
{
    char base[256], tok[TOKEN_LEN + 1];
    link_base(c, base, sizeof base);
    token_make(c->key, "feed", user_id, NULL, tok);
    snprintf(out, len, "%s/feed/%lld/%s.atom", base, user_id, tok);
}

/* token_make()'s tokens for the feedback links of many digests: the
 * HMAC's key blocks (two of the four SHA-256 blocks of a token) are
 * worked out once per round, the user's part of the message and of the
 * URL once per digest, and the rest per link. The per-link MAC goes
 * through OpenSSL when it is there and agrees: its SHA-256 uses the
 * CPU's SHA instructions, where libsodium's portable one takes twice
 * the time. The signer checks itself against token_make() when set up,
 * dropping OpenSSL and then itself (ok 0) should they ever differ. */
struct signer {
    int ok;
    EVP_MAC_CTX *mac;           /* keyed HMAC-SHA256, or NULL */
    crypto_auth_hmacsha256_state key;   /* after the key */
    crypto_auth_hmacsha256_state user;  /* after "feedback:USER:" */
    char head[48];              /* "feedback:USER:", for OpenSSL */
    size_t head_len;
    char base[256];             /* link_base() */
    char url[320];              /* "BASE/vote?u=USER&i=" */
    size_t url_len;
    long long user_id;
};

/* Decimal 'v' at 'o'; returns the end. */
static char *
put_ll(char *o, long long v)
{
    char tmp[24];
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v
                                 : (unsigned long long)v;
    size_t n = 0;

    do
        tmp[n++] = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0)
        *o++ = '-';
    while (n > 0)
        *o++ = tmp[--n];
    return o;
}

/* The 16 bytes of 'mac' in URL-safe base64 without padding at 'o' (22
 * characters and a NUL), as sodium_bin2base64() writes them: its
 * constant-time code costs more than the HMAC's last block, and a token
 * going into a link is no secret. signer_init() compares the two. */
static void
put_token(char *o, const unsigned char *mac)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
                              "qrstuvwxyz0123456789-_";
    size_t i = 0;

    for (; i + 3 <= 16; i += 3) {
        unsigned long v = (unsigned long)mac[i] << 16
                          | (unsigned long)mac[i + 1] << 8 | mac[i + 2];
        *o++ = b64[v >> 18];
        *o++ = b64[v >> 12 & 63];
        *o++ = b64[v >> 6 & 63];
        *o++ = b64[v & 63];
    }
    /* One byte left: two characters. */
    *o++ = b64[mac[i] >> 2];
    *o++ = b64[(mac[i] & 3) << 4];
    *o = '\0';
}
_Static_assert(TOKEN_LEN == 22, "put_token() writes 22 characters");

/* Set the signer up for 'user_id''s links. */
static void
signer_user(struct signer *g, long long user_id)
{
    char *e;
    int n;

    g->user_id = user_id;
    memcpy(g->head, "feedback:", 9);
    e = put_ll(g->head + 9, user_id);
    *e++ = ':';
    g->head_len = (size_t)(e - g->head);
    g->user = g->key;
    crypto_auth_hmacsha256_update(&g->user, (const unsigned char *)g->head,
                                  (unsigned long long)g->head_len);
    n = snprintf(g->url, sizeof g->url, "%s/vote?u=%lld&i=", g->base,
                 user_id);
    g->url_len = n > 0 && (size_t)n < sizeof g->url ? (size_t)n : 0;
}

/* The MAC of "feedback:USER:" and 'extra' ('n' bytes) by OpenSSL into
 * 'mac': 1 on success. EVP_MAC_init() without a key starts again from
 * the key blocks worked out when the context was keyed. */
static int
signer_mac_ossl(const struct signer *g, const char *extra, size_t n,
                unsigned char *mac)
{
    unsigned char msg[sizeof g->head + 32];
    size_t len = 0;

    memcpy(msg, g->head, g->head_len);
    memcpy(msg + g->head_len, extra, n);
    return EVP_MAC_init(g->mac, NULL, 0, NULL) == 1
           && EVP_MAC_update(g->mac, msg, g->head_len + n) == 1
           && EVP_MAC_final(g->mac, mac, &len,
                            crypto_auth_hmacsha256_BYTES) == 1
           && len == crypto_auth_hmacsha256_BYTES;
}

/* The feedback link for 'item_id' of the signer's user into 'out'
 * (at least 100 bytes more than the URL so far). */
static void
signer_link(const struct signer *g, long long item_id, int up, char *out)
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    char extra[32], *e = put_ll(extra, item_id), *o;

    memcpy(e, up ? ":up" : ":down", up ? 3 : 5);
    e += up ? 3 : 5;
    if (g->mac == NULL
        || !signer_mac_ossl(g, extra, (size_t)(e - extra), mac)) {
        crypto_auth_hmacsha256_state h = g->user;
        crypto_auth_hmacsha256_update(&h, (const unsigned char *)extra,
                                      (unsigned long long)(e - extra));
        crypto_auth_hmacsha256_final(&h, mac);
        sodium_memzero(&h, sizeof h);
    }
    memcpy(out, g->url, g->url_len);
    o = put_ll(out + g->url_len, item_id);
    memcpy(o, up ? "&v=up&t=" : "&v=down&t=", up ? 8 : 10);
    o += up ? 8 : 10;
    put_token(o, mac);
}

/* A context keyed with 'key' for HMAC-SHA256, or NULL. */
static EVP_MAC_CTX *
signer_ossl_new(const unsigned char *key)
{
    EVP_MAC *alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = alg != NULL ? EVP_MAC_CTX_new(alg) : NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                         (char *)"SHA256", 0),
        OSSL_PARAM_construct_end()
    };

    /* The context keeps its own reference to the algorithm. */
    EVP_MAC_free(alg);
    if (ctx != NULL && EVP_MAC_init(ctx, key, TOKEN_KEY_LEN, params) != 1) {
        EVP_MAC_CTX_free(ctx);
        ctx = NULL;
    }
    return ctx;
}

/* Whether the signer's link for user 1, item 2 is token_make()'s. */
static int
signer_agrees(struct signer *g, const struct digest_cfg *c)
{
    char mine[512], theirs[512];

    signer_user(g, 1);
    if (g->url_len == 0)
        return 0;
    signer_link(g, 2, 1, mine);
    digest_feedback_url(c, 1, 2, 1, theirs, sizeof theirs);
    return strcmp(mine, theirs) == 0;
}

static void
signer_init(struct signer *g, const struct digest_cfg *c)
{
    memset(g, 0, sizeof *g);
    link_base(c, g->base, sizeof g->base);
    crypto_auth_hmacsha256_init(&g->key, c->key, TOKEN_KEY_LEN);
    g->mac = signer_ossl_new(c->key);
    g->ok = signer_agrees(g, c);
    if (!g->ok && g->mac != NULL) {
        /* OpenSSL failed or disagrees: libsodium alone then. */
        EVP_MAC_CTX_free(g->mac);
        g->mac = NULL;
        g->ok = signer_agrees(g, c);
    }
}

/* Free what signer_init() set up and wipe the key schedule. */
static void
signer_free(struct signer *g)
{
    EVP_MAC_CTX_free(g->mac);
    sodium_memzero(g, sizeof *g);
}

/* digest_feedback_url(), through the signer when it is set up. */
static void
feedback_url(struct signer *g, const struct digest_cfg *c,
             long long user_id, long long item_id, int verdict, char *out,
             size_t len)
{
    if (g->ok && g->user_id != user_id)
        signer_user(g, user_id);
    if (!g->ok || g->url_len == 0 || g->url_len + 100 > len) {
        digest_feedback_url(c, user_id, item_id, verdict, out, len);
        return;
    }
    signer_link(g, item_id, verdict > 0, out);
}

/* Selection. */

/* Short strings copied out of the store, freed all at once: a digest
 * copies a hundred or so (titles, links, reasons), and a round of
 * digests keeps its blocks from one to the next. */
struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    char data[];
};

struct arena {
    struct arena_block *head;
};

#define ARENA_BLOCK 16384

/* Room for n bytes, or NULL when out of memory. */
static char *
arena_alloc(struct arena *a, size_t n)
{
    struct arena_block *b = a->head;
    char *p;

    if (b == NULL || b->cap - b->used < n) {
        size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        if ((b = malloc(sizeof *b + cap)) == NULL)
            return NULL;
        b->used = 0;
        b->cap = cap;
        /* A big string gets a block of its own, behind the current one,
         * so the room left in that one is not lost. */
        if (a->head != NULL && cap > ARENA_BLOCK) {
            b->next = a->head->next;
            a->head->next = b;
        } else {
            b->next = a->head;
            a->head = b;
        }
    }
    p = b->data + b->used;
    b->used += n;
    return p;
}

/* A copy of the n bytes at s, NUL-terminated, or NULL when out of
 * memory. */
static char *
arena_ndup(struct arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);

    if (p != NULL) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

static char *
arena_dup(struct arena *a, const char *s)
{
    return s ? arena_ndup(a, s, strlen(s)) : NULL;
}

/* Forget every string; the first block stays for the next user. */
static void
arena_reset(struct arena *a)
{
    struct arena_block *b = a->head;

    if (b == NULL)
        return;
    while (b->next != NULL) {
        struct arena_block *next = b->next->next;
        free(b->next);
        b->next = next;
    }
    b->used = 0;
}

static void
arena_free(struct arena *a)
{
    while (a->head != NULL) {
        struct arena_block *next = a->head->next;
        free(a->head);
        a->head = next;
    }
}

/* An item's text and editor's gem, which every user's digest that
 * carries the item shows alike. */
struct item_info {
    long long id;               /* 0: an empty slot */
    const char *text, *gem_editor, *gem_note;   /* each may be NULL */
};

/* Item details looked up once per round (many users get the same
 * items), in an open-addressing table at most half full. Texts are kept
 * only as far as the renderer reads them. The table stops growing at
 * ITEMS_MAX items or ITEMS_BYTES of text; later items are looked up
 * per digest. A gem an editor adds or drops while a round runs (a few
 * seconds) shows from the next round on, as it would had the round
 * started a moment earlier. */
#define ITEMS_MAX 16384         /* a power of two */
#define ITEMS_BYTES (32 << 20)

struct item_cache {
    struct item_info *slot;
    size_t cap, n, bytes;       /* cap: slots, a power of two */
    struct arena strings;
    int off;                    /* out of memory once: no more caching */
};

/* The schedules' periods at 'now', one computed per distinct schedule in
 * a row: users come by id, and most share a few schedules. */
struct period_memo {
    int valid, rc;
    int weekly, weekday, hour;
    char tz[DIGEST_TZ_MAX + 1];
    long long now, start;
    char key[DIGEST_KEY_LEN];
};

/* The users in some team, read once per round: a user in none has no
 * team section, so its query is skipped. */
struct teamed {
    long long *ids;             /* sorted */
    size_t n, cap;
    int known;                  /* loaded; else every user may have one */
    int oom;
};

struct pick {
    long long item_id, group;
    double score;
    /* In the digest's arena, or the round's item cache. */
    const char *title, *link, *feed, *reason, *goal, *also;
    const char *text, *gem_editor, *gem_note;
    char up[512], down[512];
    int gem;
};

/* Sections: gems, then one per goal in order of first appearance (the
 * best item first), then the rest; caps per goal and in total. */
struct plan {
    struct digest_section sec[MAX_GOALS + 3];
    struct digest_entry ent[MAX_ENTRIES];
    char headings[MAX_GOALS + 3][160];
    size_t n_sec, n_ent;
    int over_cap;
    long long ids[MAX_ENTRIES];
    /* The team section's own strings. */
    struct team_pick {
        char title[400], link[1024], feed[200], reason[400];
        char up[512], down[512];
    } team[MAX_TEAM];
};

/* What composing needs beyond one user: for a round of digests
 * (digest_queue_due()), what every digest shares, read once, and the
 * working memory, kept from one digest to the next; for one digest, the
 * same, freed after it. */
struct round {
    struct signer sign;
    struct digest_render_cache *snips;  /* may be NULL */
    struct teamed teams;
    struct period_memo period;
    struct item_cache items;
    struct arena strings;       /* the current digest's */
    struct pick *picks;
    size_t cap;
    struct plan *plan;
    struct buf text, body;
    struct digest_out out;      /* enqueue()'s */
};

static void
round_init(struct round *r, const struct digest_cfg *c)
{
    memset(r, 0, sizeof *r);
    signer_init(&r->sign, c);
    buf_init(&r->text, 0);
    buf_init(&r->body, 0);
    digest_out_init(&r->out);
}

static void
round_free(struct round *r)
{
    signer_free(&r->sign);
    digest_render_cache_free(r->snips);
    free(r->teams.ids);
    free(r->items.slot);
    arena_free(&r->items.strings);
    arena_free(&r->strings);
    free(r->picks);
    free(r->plan);
    buf_free(&r->text);
    buf_free(&r->body);
    digest_out_free(&r->out);
}

static int
teamed_add(struct teamed *t, long long id)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        long long *ids = realloc(t->ids, cap * sizeof *ids);
        if (ids == NULL)
            return t->oom = CUR_ENOMEM;
        t->ids = ids;
        t->cap = cap;
    }
    t->ids[t->n++] = id;
    return 0;
}

static int
team_id_row(void *ctx, const struct store_team *team)
{
    return teamed_add(ctx, team->id);
}

static int
member_row(void *ctx, long long user_id, const char *name)
{
    (void)name;
    return teamed_add(ctx, user_id);
}

static int
cmp_id(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

static int
teamed_load(struct store *st, struct teamed *t)
{
    struct teamed teams = { 0 };
    int rc = store_team_list(st, 0, team_id_row, &teams);

    free(t->ids);
    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < teams.n && rc == CUR_OK; i++)
        rc = store_team_members(st, teams.ids[i], member_row, t);
    if (rc == CUR_OK && (teams.oom || t->oom))
        rc = CUR_ENOMEM;
    free(teams.ids);
    if (t->n > 1)
        qsort(t->ids, t->n, sizeof *t->ids, cmp_id);
    t->known = rc == CUR_OK;
    return rc;
}

/* May 'user_id' have a team section? */
static int
teamed_has(const struct teamed *t, long long user_id)
{
    return !t->known || (t->n > 0 && bsearch(&user_id, t->ids, t->n,
                                             sizeof *t->ids, cmp_id)
                                     != NULL);
}

/* digest_period() for 'w' at 'now', through the memo. */
static int
period_of(struct period_memo *m, const struct digest_when *w, long long now,
          long long *start, char *key, size_t keylen)
{
    if (!(m->valid && m->now == now && m->weekly == w->weekly
          && m->weekday == w->weekday && m->hour == w->hour
          && strcmp(m->tz, w->tz) == 0)) {
        m->valid = 0;
        if (strlen(w->tz) >= sizeof m->tz)
            return digest_period(w, now, start, NULL, key, keylen);
        m->rc = digest_period(w, now, &m->start, NULL, m->key,
                              sizeof m->key);
        m->weekly = w->weekly;
        m->weekday = w->weekday;
        m->hour = w->hour;
        snprintf(m->tz, sizeof m->tz, "%s", w->tz);
        m->now = now;
        m->valid = 1;
    }
    if (m->rc != CUR_OK)
        return m->rc;
    if (start)
        *start = m->start;
    if (key && snprintf(key, keylen, "%s", m->key) >= (int)keylen)
        return CUR_EINVAL;
    return CUR_OK;
}

/* The period holding 'now' for 'u', in UTC when ICU no longer knows the
 * user's zone ('warn': say so in the log). */
static int
user_period(struct period_memo *m, const struct store_digest_user *u,
            long long now, int warn, long long *start, char *key,
            size_t keylen)
{
    struct digest_when when = { u->weekly, u->weekday, u->hour, u->tz };

    if (period_of(m, &when, now, start, key, keylen) == CUR_OK)
        return CUR_OK;
    if (warn)
        log_warn("digest schedule invalid user=%lld tz=%s: using UTC",
                 u->user_id, u->tz);
    when.tz = "UTC";
    return period_of(m, &when, now, start, key, keylen) == CUR_OK
           ? CUR_OK : CUR_EINVAL;
}

static size_t
item_hash(long long id)
{
    unsigned long long h = (unsigned long long)id * 0x9E3779B97F4A7C15ULL;
    return (size_t)(h >> 40);
}

/* Copy a candidate's details into 'a'; 0, or -1 when out of memory. */
static int
detail_copy(struct arena *a, const struct store_candidate *cd,
            struct item_info *info)
{
    const char *text = cd->text;

    /* The renderer reads no further into the text. */
    info->text = text ? arena_ndup(a, text,
                                   strnlen(text, DIGEST_RENDER_TEXT_READ))
                      : NULL;
    info->gem_editor = arena_dup(a, cd->gem_editor);
    info->gem_note = arena_dup(a, cd->gem_note);
    if ((text && info->text == NULL)
        || (cd->gem_editor && info->gem_editor == NULL)
        || (cd->gem_note && info->gem_note == NULL))
        return -1;
    return 0;
}

/* The slot of item 'id' in the table: its own, or the empty one where
 * it would go. */
static struct item_info *
item_slot(const struct item_cache *c, long long id)
{
    size_t mask = c->cap - 1, i = item_hash(id) & mask;

    while (c->slot[i].id != 0 && c->slot[i].id != id)
        i = (i + 1) & mask;
    return &c->slot[i];
}

/* Room for one more item: the table doubles when half full. 0, or -1
 * when it may not or cannot grow. */
static int
item_room(struct item_cache *c)
{
    struct item_info *old = c->slot;
    size_t old_cap = c->cap;

    if (c->off || c->n >= ITEMS_MAX || c->bytes >= ITEMS_BYTES)
        return -1;
    if (c->cap > 0 && c->n < c->cap / 2)
        return 0;
    c->cap = old_cap ? old_cap * 2 : 256;
    if ((c->slot = calloc(c->cap, sizeof *c->slot)) == NULL) {
        c->slot = old;
        c->cap = old_cap;
        c->off = 1;
        return -1;
    }
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].id != 0)
            *item_slot(c, old[i].id) = old[i];
    free(old);
    return 0;
}

/* The details of candidate 'cd' into *info: from the round's cache,
 * else copied from its row (and then kept when there is room). */
static int
item_details(struct round *r, const struct store_candidate *cd,
             struct item_info *info)
{
    struct item_cache *c = &r->items;
    struct arena *a = &r->strings;
    long long id = cd->scored.item_id;
    struct item_info *slot;

    if (c->cap > 0 && (slot = item_slot(c, id))->id == id) {
        *info = *slot;
        return CUR_OK;
    }
    memset(info, 0, sizeof *info);
    info->id = id;
    if (item_room(c) == 0)
        a = &c->strings;
    if (detail_copy(a, cd, info) != 0)
        return CUR_ENOMEM;
    if (a == &c->strings) {
        *item_slot(c, id) = *info;
        c->n++;
        c->bytes += (info->text ? strlen(info->text) : 0)
                    + (info->gem_note ? strlen(info->gem_note) : 0);
    }
    return CUR_OK;
}

struct selection {
    const struct store_digest_user *u;
    struct store *st;
    struct round *r;
    long long since;
    size_t n;
    int below;
    int oom;
};

/* The strongest positive reason's text, and the goal a keyword reason
 * names ("... (goal: NAME)"), if any, in the digest's arena. */
static void
read_reasons(struct arena *a, const char *stored, const char **reason,
             const char **goal, int *gem)
{
    struct score_reason r[SCORE_MAX_REASONS];
    size_t n = scorer_reasons_parse(stored, r, SCORE_MAX_REASONS);
    *reason = NULL;
    *goal = NULL;
    *gem = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(r[i].filter, "gems") == 0 && r[i].contribution > 0)
            *gem = 1;
        if (*reason == NULL && r[i].contribution > 0)
            *reason = arena_dup(a, r[i].text);
        const char *g = strstr(r[i].text, "(goal: ");
        if (*goal == NULL && g != NULL) {
            g += 7;
            const char *e = strchr(g, ')');
            if (e != NULL && e > g)
                *goal = arena_ndup(a, g, (size_t)(e - g));
        }
    }
}

/* One candidate (not yet sent: the query leaves those out). */
static int
select_row(void *ctx, const struct store_candidate *cd)
{
    struct selection *sel = ctx;
    struct round *r = sel->r;
    struct arena *a = &r->strings;
    const struct store_scored *s = &cd->scored;
    long long group = s->dup_of ? s->dup_of : s->item_id;
    const char *feed = s->feed_title ? s->feed_title : s->feed_url;
    struct item_info info;

    if (s->fetched < sel->since)
        return 0;
    /* Rows come best first: a near-copy folds into the kept one. */
    for (size_t i = 0; i < sel->n; i++) {
        struct pick *p = &r->picks[i];
        if (p->group != group)
            continue;
        size_t old = p->also ? strlen(p->also) : 0;
        if (old < 400) {
            size_t n = strlen(feed);
            char *also = arena_alloc(a, old + n + 3);
            if (also == NULL)
                return sel->oom = CUR_ENOMEM;
            memcpy(also, p->also ? p->also : "", old);
            snprintf(also + old, n + 3, "%s%s", old ? ", " : "", feed);
            p->also = also;
        }
        return 0;
    }
    const char *reason, *goal;
    int gem;
    read_reasons(a, s->reasons, &reason, &goal, &gem);
    if (!gem && s->score < sel->u->min_score) {
        sel->below++;
        return 0;
    }
    if (sel->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 32;
        struct pick *np = realloc(r->picks, cap * sizeof *np);
        if (np == NULL)
            return sel->oom = CUR_ENOMEM;
        r->picks = np;
        r->cap = cap;
    }
    struct pick *p = &r->picks[sel->n++];
    p->item_id = s->item_id;
    p->group = group;
    p->score = s->score;
    p->title = arena_dup(a, s->title ? s->title : "");
    p->link = arena_dup(a, s->link);
    p->feed = arena_dup(a, feed);
    p->reason = reason;
    p->goal = goal;
    p->also = NULL;
    p->up[0] = p->down[0] = '\0';
    p->gem = gem;
    if (p->title == NULL || p->feed == NULL || (s->link && !p->link)
        || item_details(r, cd, &info) != CUR_OK)
        return sel->oom = CUR_ENOMEM;
    p->text = info.text;
    p->gem_editor = info.gem_editor;
    p->gem_note = info.gem_note;
    return 0;
}

static void
make_entry(const struct digest_cfg *c, struct round *r,
           const struct store_digest_user *u, struct pick *p,
           struct digest_entry *e)
{
    memset(e, 0, sizeof *e);
    feedback_url(&r->sign, c, u->user_id, p->item_id, 1, p->up,
                 sizeof p->up);
    feedback_url(&r->sign, c, u->user_id, p->item_id, -1, p->down,
                 sizeof p->down);
    e->item_id = p->item_id;
    e->title = p->title;
    e->link = p->link;
    e->feed = p->feed;
    e->reason = p->reason;
    e->also_in = p->also;
    e->gem_editor = p->gem ? p->gem_editor : NULL;
    e->gem_note = p->gem ? p->gem_note : NULL;
    e->snippet_text = p->text;
    e->up_url = p->up;
    e->down_url = p->down;
    e->score = p->score;
}

static int
plan_sections(const struct digest_cfg *c, const struct store_digest_user *u,
              struct selection *sel, struct plan *pl)
{
    struct pick *picks = sel->r->picks;
    const char *goals[MAX_GOALS];
    size_t n_goals = 0, total = 0;
    size_t per_goal = u->max_per_goal > 0 ? (size_t)u->max_per_goal : 5;
    size_t cap = u->max_items > 0 ? (size_t)u->max_items : 20;

    if (cap > MAX_ENTRIES)
        cap = MAX_ENTRIES;
    /* Only the counts: what they cover is written before it is read. */
    pl->n_sec = pl->n_ent = 0;
    pl->over_cap = 0;
    /* Goals in the order their best item comes. */
    for (size_t i = 0; i < sel->n; i++) {
        const char *g = picks[i].gem ? NULL : picks[i].goal;
        int known = g == NULL;
        for (size_t k = 0; !known && k < n_goals; k++)
            known = strcmp(goals[k], g) == 0;
        if (!known && n_goals < MAX_GOALS)
            goals[n_goals++] = g;
    }
    /* Pass 0: gems; 1..n_goals: each goal; last: the rest. */
    for (size_t pass = 0; pass <= n_goals + 1; pass++) {
        struct digest_section *sec = &pl->sec[pl->n_sec];
        size_t in_sec = 0;
        sec->entries = &pl->ent[pl->n_ent];
        for (size_t i = 0; i < sel->n; i++) {
            struct pick *p = &picks[i];
            int mine;
            if (pass == 0)
                mine = p->gem;
            else if (pass <= n_goals)
                mine = !p->gem && p->goal
                       && strcmp(p->goal, goals[pass - 1]) == 0;
            else {
                int known = 0;
                for (size_t k = 0; !known && k < n_goals; k++)
                    known = p->goal && strcmp(p->goal, goals[k]) == 0;
                mine = !p->gem && !known;
            }
            if (!mine)
                continue;
            if (total >= cap || (pass > 0 && pass <= n_goals
                                 && in_sec >= per_goal)) {
                pl->over_cap++;
                continue;
            }
            make_entry(c, sel->r, sel->u, p, &pl->ent[pl->n_ent]);
            pl->ids[pl->n_ent] = p->item_id;
            pl->n_ent++;
            in_sec++;
            total++;
        }
        if (in_sec == 0)
            continue;
        if (pass == 0)
            snprintf(pl->headings[pl->n_sec], sizeof pl->headings[0],
                     "Editor picks");
        else if (pass <= n_goals)
            snprintf(pl->headings[pl->n_sec], sizeof pl->headings[0],
                     "Goal: %s", goals[pass - 1]);
        else
            snprintf(pl->headings[pl->n_sec], sizeof pl->headings[0],
                     n_goals ? "More for you" : "For you");
        sec->heading = pl->headings[pl->n_sec];
        sec->n = in_sec;
        pl->n_sec++;
    }
    return CUR_OK;
}

/* The "Shared by your team" section: what teammates shared since the
 * last digest, folded per item, after the editors' picks. Counts show
 * only from three sharers up (a team view never singles anyone out). */
struct team_ctx {
    const struct digest_cfg *c;
    struct signer *sign;
    const struct store_digest_user *u;
    struct plan *pl;
    struct store *st;
    size_t n;
};

static int
team_row(void *ctx, const struct store_team_share *sh)
{
    struct team_ctx *t = ctx;
    struct plan *pl = t->pl;
    int sent;

    if (t->n >= MAX_TEAM || pl->n_ent >= MAX_ENTRIES)
        return 0;
    for (size_t i = 0; i < pl->n_ent; i++)
        if (pl->ids[i] == sh->item_id)
            return 0;   /* already in the digest */
    if (store_item_sent(t->st, t->u->user_id, sh->item_id, &sent) != CUR_OK
        || sent)
        return 0;
    struct team_pick *p = &pl->team[t->n];
    struct digest_entry *e = &pl->ent[pl->n_ent];
    snprintf(p->title, sizeof p->title, "%s", sh->title);
    snprintf(p->link, sizeof p->link, "%s", sh->link ? sh->link : "");
    snprintf(p->feed, sizeof p->feed, "%s", sh->feed ? sh->feed : "");
    if (sh->sharers >= 3)
        snprintf(p->reason, sizeof p->reason, "shared by %d teammates in "
                 "%s%s%s%s", sh->sharers, sh->team, sh->note[0] ? ": \""
                 : "", sh->note, sh->note[0] ? "\"" : "");
    else
        snprintf(p->reason, sizeof p->reason, "shared by a teammate in "
                 "%s%s%s%s", sh->team, sh->note[0] ? ": \"" : "", sh->note,
                 sh->note[0] ? "\"" : "");
    feedback_url(t->sign, t->c, t->u->user_id, sh->item_id, 1, p->up,
                 sizeof p->up);
    feedback_url(t->sign, t->c, t->u->user_id, sh->item_id, -1, p->down,
                 sizeof p->down);
    memset(e, 0, sizeof *e);
    e->item_id = sh->item_id;
    e->title = p->title;
    e->link = p->link[0] ? p->link : NULL;
    e->feed = p->feed;
    e->reason = p->reason;
    e->up_url = p->up;
    e->down_url = p->down;
    pl->ids[pl->n_ent++] = sh->item_id;
    t->n++;
    return 0;
}

static int
plan_team(struct store *st, const struct digest_cfg *c,
          struct signer *sign, const struct store_digest_user *u,
          long long now, struct plan *pl)
{
    struct team_ctx t = { c, sign, u, pl, st, 0 };
    size_t first = pl->n_ent;
    long long since = u->last_period_start > 0 ? u->last_period_start
                                               : now - c->window;
    int rc = store_team_shares_for_user(st, u->user_id, since,
                                        c->team_max > 0 ? c->team_max : 3,
                                        team_row, &t);
    if (rc != CUR_OK || t.n == 0)
        return rc;
    /* After the editors' picks, before the goals. */
    size_t at = pl->n_sec > 0 && strcmp(pl->headings[0], "Editor picks")
                                 == 0 ? 1 : 0;
    memmove(&pl->sec[at + 1], &pl->sec[at],
            (pl->n_sec - at) * sizeof pl->sec[0]);
    memmove(pl->headings[at + 1], pl->headings[at],
            (pl->n_sec - at) * sizeof pl->headings[0]);
    for (size_t i = at + 1; i <= pl->n_sec; i++)
        pl->sec[i].heading = pl->headings[i];
    snprintf(pl->headings[at], sizeof pl->headings[0],
             "Shared by your team");
    pl->sec[at].heading = pl->headings[at];
    pl->sec[at].entries = &pl->ent[first];
    pl->sec[at].n = t.n;
    pl->n_sec++;
    return CUR_OK;
}

struct user_copy {
    struct store_digest_user u;
    char name[128], email[320], tz[80];
    int found;
};

static int
user_row(void *ctx, const struct store_digest_user *u)
{
    struct user_copy *c = ctx;
    c->u = *u;
    snprintf(c->name, sizeof c->name, "%s", u->name ? u->name : "");
    snprintf(c->email, sizeof c->email, "%s", u->email ? u->email : "");
    snprintf(c->tz, sizeof c->tz, "%s", u->tz ? u->tz : "UTC");
    c->u.name = c->name;
    c->u.email = c->email;
    c->u.tz = c->tz;
    c->found = 1;
    return 0;
}

static void
list_domain(const struct digest_cfg *c, char *out, size_t len)
{
    const char *at = strchr(c->from_email, '@');
    snprintf(out, len, "%s", at ? at + 1 : "localhost.localdomain");
}

/* Compose for a user whose settings are 'u', with the round's shared
 * state and working memory 'r': the message goes to out->message, the
 * bodies stay in r->text and r->body. */
static int
compose(struct store *st, const struct digest_cfg *c,
        const struct store_digest_user *u, struct round *r, long long now,
        int html, struct digest_out *out)
{
    struct selection sel = { .u = u, .st = st, .r = r };
    struct plan *pl;
    char subject[256], unsub[512], feed[512], web[300], domain[100];
    char list_id[300], label[64], mailto[400];
    int rc;

    arena_reset(&r->strings);
    if (user_period(&r->period, u, now, 1, &out->period_start,
                    out->period_key, sizeof out->period_key) != CUR_OK)
        return CUR_EINVAL;
    sel.since = now - c->window;
    /* Gems as when items are scored with a gem: their notes show even
     * when the gem has expired since (now 0). */
    rc = store_digest_candidates(st, u->user_id, sel.since, 0, CANDIDATES,
                                 select_row, &sel);
    if (rc == CUR_OK && sel.oom)
        rc = sel.oom;
    if (rc == CUR_OK && r->plan == NULL
        && (r->plan = malloc(sizeof *r->plan)) == NULL)
        rc = CUR_ENOMEM;
    if (rc != CUR_OK)
        return rc;
    pl = r->plan;
    if ((rc = plan_sections(c, u, &sel, pl)) != CUR_OK)
        return rc;
    if (teamed_has(&r->teams, u->user_id)
        && (rc = plan_team(st, c, &r->sign, u, now, pl)) != CUR_OK)
        return rc;
    out->n_below = sel.below;
    out->n_items = pl->n_ent;
    if (pl->n_ent > 0) {
        long long *items = realloc(out->items,
                                   pl->n_ent * sizeof *out->items);
        if (items == NULL)
            return CUR_ENOMEM;
        out->items = items;
        memcpy(out->items, pl->ids, pl->n_ent * sizeof *out->items);
    }

    digest_unsubscribe_url(c, u->user_id, unsub, sizeof unsub);
    digest_feed_url(c, u->user_id, feed, sizeof feed);
    link_base(c, web, sizeof web);
    date_format(out->period_start, label, sizeof label);
    label[10] = '\0';   /* the date part of RFC 3339 */
    snprintf(subject, sizeof subject, "Curator digest %s: %zu item%s",
             u->weekly ? out->period_key : label, pl->n_ent,
             pl->n_ent == 1 ? "" : "s");
    struct digest_doc doc = {
        .user_name = u->name,
        .title = subject,
        .sections = pl->sec,
        .n_sections = pl->n_sec,
        .n_below_threshold = sel.below,
        .n_over_cap = pl->over_cap,
        .web_url = web,
        .unsubscribe_url = unsub,
        .feed_url = feed,
        .remote_images = u->remote_images,
        .cache = r->snips,
    };
    buf_reset(&r->text);
    buf_reset(&r->body);
    rc = digest_render_text(&doc, &r->text);
    if (rc == CUR_OK && (html > 0 || (html < 0 && u->html)))
        rc = digest_render_html(&doc, &r->body);
    if (rc == CUR_OK && (buf_puts(&r->text, "") != CUR_OK
                         || buf_puts(&r->body, "") != CUR_OK))
        rc = CUR_ENOMEM;
    if (rc != CUR_OK) {
        buf_free(&r->text);
        buf_free(&r->body);
        return rc;
    }
    list_domain(c, domain, sizeof domain);
    snprintf(out->message_id, sizeof out->message_id,
             "digest.%lld.%s.%lld@%s", u->user_id, out->period_key,
             out->period_start, domain);
    snprintf(list_id, sizeof list_id, "Curator digest <digest.%s>", domain);
    snprintf(mailto, sizeof mailto, "mailto:%s?subject=unsubscribe",
             c->from_email);
    struct mime_message m = {
        .from = { c->from_name, c->from_email },
        .to = { u->name, u->email },
        .subject = subject,
        .date = now,
        .message_id = out->message_id,
        .list_id = list_id,
        /* RFC 8058 one-click needs HTTPS; over plain http only the
         * mailto is offered in the header (the body keeps the link). */
        .unsubscribe_url = strncmp(unsub, "https://", 8) == 0 ? unsub
                                                               : NULL,
        .unsubscribe_mailto = mailto,
        .text = r->text.data,
        .html = r->body.len ? r->body.data : NULL,
    };
    const char *why = NULL;
    rc = mime_compose(&m, &out->message, &why);
    if (rc != CUR_OK)
        log_warn("digest compose failed user=%lld why=\"%s\"", u->user_id,
                 why ? why : cur_strerror(rc));
    return rc;
}

int
digest_compose(struct store *st, const struct digest_cfg *c,
               long long user_id, long long now, int html,
               struct digest_out *out)
{
    struct user_copy u = { 0 };
    struct round r;
    int rc = store_digest_user(st, user_id, user_row, &u);
    if (rc != CUR_OK)
        return rc;
    round_init(&r, c);
    rc = compose(st, c, &u.u, &r, now, html, out);
    /* The bodies, once rendered, whatever became of the message. */
    if (r.text.data != NULL) {
        out->text = buf_steal(&r.text);
        out->html = r.body.len ? buf_steal(&r.body) : NULL;
    }
    round_free(&r);
    return rc;
}

/* Compose and queue 'u''s digest; *id (may be NULL) gets 1 when a
 * message was queued, 0 when there was nothing to send. */
static int
enqueue(struct store *st, const struct digest_cfg *c,
        const struct store_digest_user *u, struct round *r, long long now,
        long long *id)
{
    struct digest_out *out = &r->out;
    int rc;

    /* The round's message buffer and item list are kept, not freed. */
    buf_reset(&out->message);
    out->n_items = 0;
    rc = compose(st, c, u, r, now, -1, out);
    if (rc == CUR_OK && out->n_items == 0) {
        /* Nothing worth a message: the period is done all the same. */
        rc = store_digest_set(st, u->user_id, "last_period_start", NULL,
                              (double)out->period_start);
        if (id)
            *id = 0;
    } else if (rc == CUR_OK) {
        rc = store_outbox_add(st, u->user_id, out->period_key,
                              out->period_start, out->message_id, u->email,
                              out->message.data, out->message.len,
                              out->items, out->n_items, now);
        if (rc == CUR_OK && id)
            *id = 1;
        if (rc == CUR_OK)
            log_info("digest queued user=%lld period=%s items=%zu bytes=%zu",
                     u->user_id, out->period_key, out->n_items,
                     out->message.len);
    }
    return rc;
}

static double
mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

struct due_ctx {
    struct store *st;
    const struct digest_cfg *c;
    long long now;
    struct round *r;
    struct store_digest_user *due;
    size_t n, cap;
    char **strings;
};

static int
due_row(void *ctx, const struct store_digest_user *u)
{
    struct due_ctx *d = ctx;
    long long start;

    if (!u->email_on || u->pause_until > d->now)
        return 0;
    /* Due when this period was not recorded (digest_due()'s rule);
     * schedules shared by many users are worked out once. */
    if (user_period(&d->r->period, u, d->now, 0, &start, NULL, 0) != CUR_OK
        || u->last_period_start >= start)
        return 0;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        struct store_digest_user *nd = realloc(d->due, cap * sizeof *nd);
        char **ns = realloc(d->strings, cap * 3 * sizeof *ns);
        if (nd)
            d->due = nd;
        if (ns)
            d->strings = ns;
        if (nd == NULL || ns == NULL)
            return CUR_ENOMEM;
        d->cap = cap;
    }
    struct store_digest_user *c = &d->due[d->n];
    *c = *u;
    c->name = d->strings[d->n * 3] = strdup(u->name);
    c->email = d->strings[d->n * 3 + 1] = strdup(u->email);
    c->tz = d->strings[d->n * 3 + 2] = strdup(u->tz);
    d->n++;
    return c->name && c->email && c->tz ? 0 : CUR_ENOMEM;
}

int
digest_queue_due(struct store *st, const struct digest_cfg *c, long long now,
                 int *queued)
{
    struct round r;
    struct due_ctx d = { .st = st, .c = c, .now = now, .r = &r };
    int rc, n = 0;

    round_init(&r, c);
    /* Only saves work: without it each digest renders every snippet. */
    r.snips = digest_render_cache_new();
    rc = store_digest_users(st, due_row, &d);
    /* Users are read first and queued after, so no statement is open
     * across the writes. Team members too: most users are in no team,
     * and then their digest needs no team query. */
    if (rc == CUR_OK && d.n > 0)
        rc = teamed_load(st, &r.teams);
    /* Up to QUEUE_BATCH users per transaction, each its own savepoint:
     * one sync per batch, and a crash loses only digests queued again on
     * the next tick (their periods are not recorded either). The write
     * lock is held QUEUE_HOLD_MS at most, so the web page's writes wait
     * no longer than that on a slow machine. */
    for (size_t i = 0; i < d.n && rc == CUR_OK;) {
        double until = mono_ms() + QUEUE_HOLD_MS;
        if ((rc = store_begin(st)) != CUR_OK)
            break;
        for (size_t k = 0; i < d.n && k < QUEUE_BATCH && rc == CUR_OK;
             k++, i++) {
            long long id;
            if (k > 0 && mono_ms() > until)
                break;
            rc = enqueue(st, c, &d.due[i], &r, now, &id);
            if (rc == CUR_EEXIST)
                rc = CUR_OK;
            else if (rc == CUR_OK && id)
                n++;
        }
        if (rc == CUR_OK)
            rc = store_commit(st);
        else
            store_rollback(st);
    }
    round_free(&r);
    for (size_t i = 0; i < d.n * 3; i++)
        free(d.strings[i]);
    free(d.strings);
    free(d.due);
    if (queued)
        *queued = n;
    return rc;
}

int
digest_queue_now(struct store *st, const struct digest_cfg *c,
                 long long user_id, long long now, long long *outbox_id)
{
    struct user_copy u = { 0 };
    struct round r;
    char key[32];
    long long id;
    int rc = store_digest_user(st, user_id, user_row, &u);
    if (rc != CUR_OK)
        return rc;
    /* This period's message may be queued already: say so, rather than
     * compose one that finds every item sent. */
    struct digest_when when = { u.u.weekly, u.u.weekday, u.u.hour, u.u.tz };
    if (digest_period(&when, now, NULL, NULL, key, sizeof key) == CUR_OK
        && store_outbox_find(st, user_id, key, &id) == CUR_OK)
        return CUR_EEXIST;
    round_init(&r, c);
    rc = enqueue(st, c, &u.u, &r, now, outbox_id);
    round_free(&r);
    return rc;
}

/* Delivery. */

struct pending {
    long long id;
    long long created;
    int attempts;
    char *rcpt, *message_id, *body;
    size_t len;
};

struct pending_list {
    struct pending *p;
    size_t n, cap;
};

static int
pending_row(void *ctx, const struct store_outbox *m)
{
    struct pending_list *l = ctx;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        struct pending *np = realloc(l->p, cap * sizeof *np);
        if (np == NULL)
            return CUR_ENOMEM;
        l->p = np;
        l->cap = cap;
    }
    struct pending *p = &l->p[l->n++];
    p->id = m->id;
    p->created = m->created;
    p->attempts = m->attempts;
    p->rcpt = strdup(m->rcpt);
    p->message_id = strdup(m->message_id);
    p->body = malloc(m->len + 1);
    p->len = m->len;
    if (p->rcpt == NULL || p->message_id == NULL || p->body == NULL)
        return CUR_ENOMEM;
    if (m->len > 0)
        memcpy(p->body, m->body, m->len);
    p->body[m->len] = '\0';
    return 0;
}

/* Exponential backoff with jitter: retry_min (1 min), twice that, four
 * times ... up to retry_max. */
static long long
backoff(const struct digest_cfg *c, int attempts)
{
    double first = c->retry_min > 0 ? (double)c->retry_min : 60.0;
    double wait = first * pow(2.0, attempts < 20 ? attempts : 20);
    if (wait > (double)c->retry_max)
        wait = (double)c->retry_max;
    return (long long)(wait * (0.75 + 0.5 * (double)(rand() % 1000) / 1000));
}

/* Record the outcome of one delivery attempt. */
static int
record(struct store *st, const struct digest_cfg *c, long long now,
       const struct pending *p, enum mail_status ms, const char *reply,
       int *n_sent, int *n_failed)
{
    int rc;

    if (ms == MAIL_SENT) {
        rc = store_outbox_sent(st, p->id, now);
        (*n_sent)++;
        log_info("digest sent outbox=%lld message_id=%s", p->id,
                 p->message_id);
    } else {
        /* A message that could not go out for max_age is given up
         * (DUR-4): the reply says why. */
        int perm = ms == MAIL_PERMFAIL
                   || now - p->created >= (c->max_age > 0 ? c->max_age
                                                          : 3 * 86400);
        rc = store_outbox_failed(st, p->id, perm, reply,
                                 now + backoff(c, p->attempts));
        (*n_failed)++;
        log_warn("digest %s outbox=%lld message_id=%s attempt=%d "
                 "reply=\"%s\"", perm ? "failed" : "deferred", p->id,
                 p->message_id, p->attempts + 1, reply);
    }
    return rc;
}

/* Spool mode: the whole batch is written with shared syncs, then every
 * outcome is recorded in one transaction. A crash before that commit
 * leaves the rows queued, and the next attempt finds each file already
 * spooled with the same bytes: nothing is lost, and nothing is sent
 * twice (a file is one message, whatever the attempts). */
static int
spool_batch(struct store *st, const struct digest_cfg *c,
            const struct mail_config *mc, long long now,
            struct pending_list *l, int *n_sent, int *n_failed)
{
    struct mail_job *jobs = calloc(l->n, sizeof *jobs);
    int rc, sent = 0, failed = 0;

    if (jobs == NULL)
        return CUR_ENOMEM;
    for (size_t i = 0; i < l->n; i++) {
        jobs[i].rcpt = l->p[i].rcpt;
        jobs[i].message_id = l->p[i].message_id;
        jobs[i].msg = l->p[i].body;
        jobs[i].len = l->p[i].len;
    }
    rc = mail_spool_many(mc, c->from_email, jobs, l->n);
    if (rc == CUR_OK)
        rc = store_begin(st);
    for (size_t i = 0; i < l->n && rc == CUR_OK; i++)
        rc = record(st, c, now, &l->p[i], jobs[i].status, jobs[i].reply,
                    &sent, &failed);
    if (rc == CUR_OK)
        rc = store_commit(st);
    else
        store_rollback(st);
    /* Counted once they are recorded. */
    if (rc == CUR_OK) {
        *n_sent += sent;
        *n_failed += failed;
    }
    free(jobs);
    return rc;
}

/* One batch of the due messages: deliver each, record the outcome.
 * *n gets how many were due. */
static int
deliver_batch(struct store *st, const struct digest_cfg *c,
              const struct mail_config *mc, long long now, int *n_sent,
              int *n_failed, size_t *n, size_t limit)
{
    struct pending_list l = { 0 };
    int rc = store_outbox_due(st, now, (int)limit, pending_row, &l);
    int spool = mc->smtp_url == NULL || mc->smtp_url[0] == '\0';

    *n = l.n;
    if (rc == CUR_OK && l.n > 0 && spool)
        rc = spool_batch(st, c, mc, now, &l, n_sent, n_failed);
    else
        /* SMTP: each outcome commits at once, so a crash can resend
         * only the one message between the server's 250 and that
         * commit (DUR-3). */
        for (size_t i = 0; i < l.n && rc == CUR_OK; i++) {
            struct pending *p = &l.p[i];
            const char *rcpt[1] = { p->rcpt };
            char reply[MAIL_REPLY_MAX] = "";
            enum mail_status ms = mail_deliver(mc, c->from_email, rcpt, 1,
                                               p->message_id, p->body,
                                               p->len, reply, sizeof reply);
            rc = record(st, c, now, p, ms, reply, n_sent, n_failed);
        }
    for (size_t i = 0; i < l.n; i++) {
        free(l.p[i].rcpt);
        free(l.p[i].message_id);
        free(l.p[i].body);
    }
    free(l.p);
    return rc;
}

int
digest_deliver(struct store *st, const struct digest_cfg *c, long long now,
               int *sent, int *failed)
{
    struct mail_config mc = {
        .smtp_url = c->smtp_url,
        .require_tls = c->require_tls,
        .username = c->smtp_user,
        .password = c->smtp_password,
        .connect_timeout_ms = c->timeout * 1000,
        .timeout_ms = c->timeout * 1000,
        .spool_dir = c->spool_dir,
    };
    int n_sent = 0, n_failed = 0, rc;
    size_t n, limit = c->smtp_url && c->smtp_url[0] ? SMTP_BATCH
                                                     : SPOOL_BATCH;

    /* Until nothing due is left: a failure is rescheduled, so each batch
     * holds new messages and the loop ends. */
    do
        rc = deliver_batch(st, c, &mc, now, &n_sent, &n_failed, &n, limit);
    while (rc == CUR_OK && n == limit);
    metrics_mail(n_sent, n_failed);
    if (sent)
        *sent = n_sent;
    if (failed)
        *failed = n_failed;
    return rc;
}
