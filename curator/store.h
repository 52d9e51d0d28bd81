/* The storage interface. All SQL lives behind it (store_sqlite.c is the
 * embedded SQLite implementation), so callers never see a statement.
 *
 * A store handle belongs to one thread at a time; threads that share the
 * database each open their own handle (SQLite's WAL mode lets readers run
 * beside the one writer). Rows are passed to callbacks as borrowed views
 * valid only during the call: copy what you keep. A callback returning
 * non-zero stops the iteration, and that value is returned.
 */
#ifndef CURATOR_STORE_H
#define CURATOR_STORE_H

#include <stddef.h>

#include "feed.h"
#include "filter.h"

/* The schema version this build writes; see the migrations in
 * store_sqlite.c. */
#define STORE_SCHEMA_VERSION 10

struct store;

/* Open (creating if needed) the database at 'path' (":memory:" works),
 * set WAL, foreign keys and a busy timeout, and migrate the schema
 * forward. Refuses a schema newer than this build (CUR_ESCHEMA) and a file
 * that cannot use WAL. Problems are logged with the path. On success *out
 * is a new handle for store_close(). */
int store_open(const char *path, struct store **out);
void store_close(struct store *st);         /* NULL is fine */
/* Read the database through a memory map of up to 'bytes' (0: off, the
 * default). For handles that mostly read (the web's): the mapped pages
 * are the kernel's file cache, shared and reclaimable, but they count
 * in the process's RSS. */
#define STORE_WEB_MMAP (256LL << 20)
void store_map_reads(struct store *st, long long bytes);

/* The schema version recorded in the database. */
int store_schema_version(struct store *st, int *version);

/* Users. */
struct store_user {
    long long id;
    const char *name;
    const char *email;
    long long created;
    long long last_digest;      /* time of the last digest, 0 = never */
    long long digest_cursor;    /* highest item id already sent */
};

typedef int (*store_user_cb)(void *ctx, const struct store_user *u);

/* Add a user. CUR_EINVAL for a bad name or email (valid.h), CUR_EEXIST
 * when the name is taken. *id may be NULL. */
int store_user_add(struct store *st, const char *name, const char *email,
                   long long *id);
/* Look a user up by name; CUR_ENOTFOUND if there is none. */
int store_user_find(struct store *st, const char *name, long long *id);
int store_user_list(struct store *st, store_user_cb cb, void *ctx);
int store_user_count(struct store *st, long long *n);

/* Feeds and their polling state. */
struct store_feed {
    long long id;
    const char *url;
    const char *title;          /* NULL until first parsed */
    const char *origin;         /* "config", "cli" or "web" */
    const char *etag;
    const char *last_modified;
    long long next_poll;
    long long last_poll;
    long long last_success;
    int last_status;            /* HTTP status, 0 if none */
    int failures;               /* consecutive */
    const char *last_error;
    long long items;            /* items stored (0 in store_feed_due) */
    const char *site_url;       /* the feed's home page, may be NULL */
    const char *category;       /* "A/B" (OPML folders), may be NULL */
    const char *body_hash;      /* of the last body parsed, may be NULL */
    long long last_failure;     /* time of the last failure, 0: none */
    long long disabled_at;      /* 0: polled; else when it was disabled */
    const char *disabled_reason;
    long poll_interval;         /* seconds scheduled after the last
                                   success, 0 before the first */
    long ttl;                   /* RSS ttl, seconds, 0: none */
    unsigned skip_hours;        /* RSS skipHours (bit h: hour h UTC) */
    unsigned skip_days;         /* RSS skipDays (bit 0: Monday) */
    long update_period;         /* sy:updatePeriod, seconds, 0: none */
};

typedef int (*store_feed_cb)(void *ctx, const struct store_feed *f);

/* Add a feed by URL. If the URL is already stored, *id is its id and the
 * return is CUR_EEXIST. *id may be NULL. */
int store_feed_add(struct store *st, const char *url, const char *origin,
                   long long *id);
/* The id of the feed with this URL; CUR_ENOTFOUND if none. */
int store_feed_find(struct store *st, const char *url, long long *id);
/* Remove a feed with its items and subscriptions; CUR_ENOTFOUND if none. */
int store_feed_remove(struct store *st, long long id);
int store_feed_get(struct store *st, long long id, store_feed_cb cb,
                   void *ctx);
int store_feed_list(struct store *st, store_feed_cb cb, void *ctx);
/* Feeds not disabled whose next poll is at or before 'now', oldest due
 * first; 'items' is not counted. */
int store_feed_due(struct store *st, long long now, store_feed_cb cb,
                   void *ctx);
/* The earliest next poll time of any feed not disabled, or 0 when there
 * is none. */
int store_feed_next_due(struct store *st, long long *when);

/* Add a feed with what an OPML outline says of it (title, site_url and
 * category may be NULL). CUR_EEXIST, with *id set, when the URL is
 * already stored: nothing is changed then. *id may be NULL. */
int store_feed_import(struct store *st, const char *url, const char *title,
                      const char *site_url, const char *category,
                      const char *origin, long long *id);
/* Move a feed to a new URL (a permanent redirect). CUR_EEXIST when
 * another feed has that URL, CUR_ENOTFOUND when the feed is gone. */
int store_feed_move(struct store *st, long long id, const char *url);
/* "Refresh now" (FETCH-9): make the feed due at 'now' unless it is due
 * already or was polled less than 'gap' seconds ago, so that repeated
 * requests make one fetch. CUR_OK: it is due now. CUR_EEXIST: nothing
 * changed; *when (may be NULL) gets when it is due or, for one polled a
 * moment ago, when a refresh would be taken. CUR_EINVAL: the feed is
 * disabled. CUR_ENOTFOUND: no such feed. */
int store_feed_refresh(struct store *st, long long id, long long now,
                       long gap, long long *when);
/* Spread the feeds that were polled before and are overdue at 'now'
 * over the next 'window' seconds, so that a restart does not poll them
 * all at once. Feeds never polled stay due. *n (may be NULL) gets the
 * count moved. */
int store_feed_spread(struct store *st, long long now, long window,
                      long long *n);

/* The outcome of one poll. */
struct store_poll {
    long long now;
    long long next_poll;
    int status;                 /* HTTP status, 0 for a transport error */
    const char *etag;           /* validators to send next time, or NULL */
    const char *last_modified;
    const char *error;          /* NULL on success */
    const char *title;          /* feed title, on success, or NULL */
    int unchanged;              /* success without a new body (304, or
                                   the same bytes): validators missing
                                   from the answer are kept */
    const char *body_hash;      /* of the body parsed; NULL keeps it */
    long interval;              /* the interval scheduled; 0 keeps it */
    const char *site_url;       /* the feed's home page; NULL keeps it */
    int has_hints;              /* ttl, skip_* and update_period below
                                   are from this body: store them */
    long ttl;
    unsigned skip_hours, skip_days;
    long update_period;
    const char *disable;        /* on failure: disable the feed with this
                                   reason (HTTP 410) */
};

/* Record a poll and, on success, store the feed's new items in the same
 * transaction: all of them or none (inside a caller's transaction, a
 * savepoint makes it so). A success re-enables a disabled feed. Each
 * item's plain 'text' (see feed_fill_text()) is what is stored as its
 * summary, and its 'html' (feed_sanitize(); may be NULL) as its HTML.
 * Items already stored (same feed and guid) are left as they are.
 * *n_new (may be NULL) gets the count added. */
int store_feed_polled(struct store *st, long long feed_id,
                      const struct store_poll *poll, const struct feed *f,
                      int *n_new);

/* Subscriptions and interests. CUR_ENOTFOUND when the user or feed does
 * not exist; subscribing twice is not an error. */
int store_subscribe(struct store *st, long long user_id, long long feed_id);
int store_subscription_count(struct store *st, long long user_id,
                             long long *n);
/* Add an interest or change its weight. */
int store_interest_add(struct store *st, long long user_id, const char *term,
                       double weight);

struct store_interest {
    const char *term;
    double weight;
};

typedef int (*store_interest_cb)(void *ctx, const struct store_interest *in);
int store_interest_list(struct store *st, long long user_id,
                        store_interest_cb cb, void *ctx);

/* Items. */
struct store_item {
    long long id;
    long long feed_id;
    const char *feed_title;     /* may be NULL */
    const char *guid;
    const char *title;
    const char *link;           /* may be NULL */
    const char *author;         /* may be NULL */
    const char *summary;        /* plain text; may be NULL */
    long long published;
    long long fetched;
    const char *html;           /* sanitised HTML (web profile); NULL for
                                   items stored before schema 3 */
};

typedef int (*store_item_cb)(void *ctx, const struct store_item *it);

/* Newest first; feed_id 0 means every feed. */
int store_item_list(struct store *st, long long feed_id, int limit,
                    store_item_cb cb, void *ctx);
int store_item_count(struct store *st, long long *n);

/* Items from the user's subscriptions with an id above 'after_id', in
 * the order they arrived, at most 'limit'. */
int store_items_for_user(struct store *st, long long user_id,
                         long long after_id, int limit, store_item_cb cb,
                         void *ctx);

/* Record a digest sent to a user at 'now' covering items up to
 * 'cursor'; the user's next digest starts after it. */
int store_digest_done(struct store *st, long long user_id, long long now,
                      long long cursor, int n_items, const char *path);

/* Profiles: goals, interests under them, mutes and source weights. Each
 * change bumps the user's profile revision, which the daemon watches to
 * rescore that user. CUR_ENOTFOUND when the user (or feed, goal) does
 * not exist. */
int store_goal_add(struct store *st, long long user_id, const char *name,
                   long long *id);          /* CUR_EEXIST, *id set */
int store_goal_find(struct store *st, long long user_id, const char *name,
                    long long *id);
/* Add an interest or change it; goal_id 0 for none. */
int store_interest_put(struct store *st, long long user_id, const char *term,
                       double weight, long long goal_id, int is_phrase);
int store_mute_term(struct store *st, long long user_id, const char *term);
int store_mute_feed(struct store *st, long long user_id, long long feed_id);
int store_source_weight(struct store *st, long long user_id,
                        long long feed_id, double weight);

/* A user's whole profile, owned by the caller; 'view' points into it and
 * is what filters see. */
struct store_profile {
    struct curator_profile view;
    long long rev;
    char *strings;              /* every string, back to back */
    void *arrays;
};
int store_profile_load(struct store *st, long long user_id,
                       struct store_profile **out);
void store_profile_free(struct store_profile *p);

struct store_user_rev {
    long long user_id;
    long long profile_rev;      /* bumped by every profile change */
    long long scored_rev;       /* the revision the stored scores are for */
    int n_interests;
    int n_goals;
};
typedef int (*store_user_rev_cb)(void *ctx, const struct store_user_rev *r);
int store_user_revs(struct store *st, store_user_rev_cb cb, void *ctx);
int store_user_scored(struct store *st, long long user_id, long long rev);
/* The user's role: "subscriber", "editor" or "admin" (static string). */
int store_user_role(struct store *st, long long user_id, const char **role);
int store_user_set_role(struct store *st, long long user_id,
                        const char *role);

/* Feedback: verdict +1 or -1; a new verdict replaces the old one. */
int store_feedback_put(struct store *st, long long user_id,
                       long long item_id, int verdict);
struct store_feedback {
    long long id;               /* rising: a cursor for new feedback */
    long long user_id;
    long long item_id;
    int verdict;
};
typedef int (*store_feedback_cb)(void *ctx, const struct store_feedback *f);
/* Feedback with id above 'after_id', oldest first. */
int store_feedback_list(struct store *st, long long after_id,
                        store_feedback_cb cb, void *ctx);

/* Gems: an editor's note, tags and audience (goal names) joined with
 * commas; 'expires' 0 for never. Tagging again replaces. */
int store_gem_put(struct store *st, long long item_id, long long editor_id,
                  const char *note, const char *tags, const char *audience,
                  long long expires);

/* An item as the scorer sees it (borrowed during the callback). */
struct store_scoring_item {
    long long id;
    long long feed_id;
    const char *feed_url;
    const char *feed_title;     /* may be NULL */
    const char *title;
    const char *link;           /* may be NULL */
    const char *author;         /* may be NULL */
    const char *text;           /* plain text; may be NULL */
    const char *language;       /* may be NULL */
    const char *tags;           /* '\n'-separated, may be NULL */
    long long published;
    long long fetched;
    const char *gem_editor;     /* NULL unless a live gem */
    const char *gem_note;
    const char *gem_tags;       /* comma-separated */
    const char *gem_audience;   /* comma-separated */
};
typedef int (*store_scoring_item_cb)(void *ctx,
                                     const struct store_scoring_item *it);
/* Items with id above 'after_id', in id order, at most 'limit'. */
int store_scoring_items_after(struct store *st, long long after_id,
                              int limit, long long now,
                              store_scoring_item_cb cb, void *ctx);
/* Items fetched at or after 'since' (the rescoring window), id order. */
int store_scoring_items_since(struct store *st, long long since,
                              long long now, store_scoring_item_cb cb,
                              void *ctx);
/* One item; CUR_ENOTFOUND if none. */
int store_scoring_item(struct store *st, long long item_id, long long now,
                       store_scoring_item_cb cb, void *ctx);

/* Every subscription as (user, feed) pairs. */
typedef int (*store_pair_cb)(void *ctx, long long a, long long b);
/* Gems tagged or changed at or after 'since' (their time), oldest first:
 * cb(ctx, item_id, changed). */
int store_gems_changed(struct store *st, long long since,
                       store_pair_cb cb, void *ctx);
int store_subscriptions_all(struct store *st, store_pair_cb cb, void *ctx);

/* Scores: one row per (user, item) the scorer visited. 'reasons' is
 * lines of "filter TAB contribution TAB text"; 'excluded_by' names the
 * filter that excluded the item, or NULL. */
int store_score_put(struct store *st, long long user_id, long long item_id,
                    double score, const char *excluded_by,
                    const char *reasons, long long now);
/* Forget the user's scores of items fetched at or after 'since'. */
int store_score_forget_user(struct store *st, long long user_id,
                            long long since);
int store_score_forget_item(struct store *st, long long item_id);
/* Record that an item is a near-copy of an earlier one. */
int store_item_duplicate(struct store *st, long long item_id,
                         long long of_item_id);

struct store_scored {
    long long item_id;
    long long feed_id;
    const char *title;
    const char *link;           /* may be NULL */
    const char *feed_title;     /* may be NULL */
    const char *feed_url;
    long long published;
    long long fetched;
    double score;
    const char *excluded_by;    /* NULL unless excluded */
    const char *reasons;
    long long dup_of;           /* 0 unless a near-copy */
};
typedef int (*store_scored_cb)(void *ctx, const struct store_scored *s);
/* One stored score; CUR_ENOTFOUND if the pair was never scored. */
int store_score_get(struct store *st, long long user_id, long long item_id,
                    store_scored_cb cb, void *ctx);
/* The user's scores of items fetched at or after 'since', best first:
 * included ones, or (excluded != 0) only the excluded ones. */
int store_score_top(struct store *st, long long user_id, long long since,
                    int excluded, int limit, store_scored_cb cb, void *ctx);
/* A digest's candidates: the user's included scores of items fetched at
 * or after 'since' and not yet sent to them in a digest, best first, at
 * most 'limit', with what the digest shows of each item (all borrowed
 * during the callback). */
struct store_candidate {
    struct store_scored scored;
    const char *text;           /* the item's summary, or NULL */
    const char *gem_editor;     /* its gem live at 'now', or NULL */
    const char *gem_note;       /* NULL unless gem_editor */
};
typedef int (*store_candidate_cb)(void *ctx,
                                  const struct store_candidate *c);
int store_digest_candidates(struct store *st, long long user_id,
                            long long since, long long now, int limit,
                            store_candidate_cb cb, void *ctx);

/* Small named counters (e.g. the scorer's cursor); 0 when unset. */
int store_meta_get(struct store *st, const char *key, long long *value);
int store_meta_put(struct store *st, const char *key, long long value);

/* Email digests (store_digest.c). */
struct store_digest_user {
    long long user_id;
    const char *name;
    const char *email;
    int weekly, weekday, hour;
    const char *tz;
    int max_items, max_per_goal;
    double min_score;
    int email_on, html, remote_images;
    long long pause_until;
    long long last_period_start;
};
typedef int (*store_digest_user_cb)(void *ctx,
                                    const struct store_digest_user *u);
/* Every user with their settings (defaults where never set). */
int store_digest_users(struct store *st, store_digest_user_cb cb, void *ctx);
int store_digest_user(struct store *st, long long user_id,
                      store_digest_user_cb cb, void *ctx);
/* Set one setting column ("weekly", "weekday", "hour", "tz", "max_items",
 * "max_per_goal", "min_score", "email", "html", "pause_until",
 * "remote_images"); the value is already checked by the caller. */
int store_digest_set(struct store *st, long long user_id, const char *column,
                     const char *text, double number);

/* Queue one message for a user and period, record the items it carries
 * and the period as done, all or nothing. CUR_EEXIST when that period
 * already has a message. */
int store_outbox_add(struct store *st, long long user_id,
                     const char *period_key, long long period_start,
                     const char *message_id, const char *rcpt,
                     const char *body, size_t len,
                     const long long *items, size_t n_items, long long now);

struct store_outbox {
    long long id;
    long long user_id;
    const char *period_key;
    const char *message_id;
    const char *rcpt;
    const char *body;
    size_t len;
    int n_items;
    const char *status;         /* "queued", "sent" or "failed" */
    int attempts;
    long long next_attempt;
    const char *last_error;
    long long created;
    long long sent_at;
};
typedef int (*store_outbox_cb)(void *ctx, const struct store_outbox *m);
/* Queued messages due at 'now', oldest first, at most 'limit'. */
int store_outbox_due(struct store *st, long long now, int limit,
                     store_outbox_cb cb, void *ctx);
/* Every message, newest first (bodies left out: len 0, body NULL). */
int store_outbox_list(struct store *st, int limit, store_outbox_cb cb,
                      void *ctx);
/* The message queued for a user and period; CUR_ENOTFOUND if none. */
int store_outbox_find(struct store *st, long long user_id,
                      const char *period_key, long long *id);
int store_outbox_sent(struct store *st, long long id, long long now);
/* A failed attempt: 'permanent' marks it failed, else it stays queued
 * until 'next_attempt'. */
int store_outbox_failed(struct store *st, long long id, int permanent,
                        const char *error, long long next_attempt);
/* Queue a failed (or queued) message again now; CUR_ENOTFOUND if none. */
int store_outbox_retry(struct store *st, long long id, long long now);
int store_outbox_depth(struct store *st, long long *queued,
                       long long *failed);

/* Whether an item was already sent to a user in a digest. */
int store_item_sent(struct store *st, long long user_id, long long item_id,
                    int *sent);

/* A named secret of 'len' bytes, made at random the first time. */
int store_secret(struct store *st, const char *name, unsigned char *out,
                 size_t len);

/* Relax durability for work that can be redone (scores: their cursor
 * commits with them, so a power cut loses only work that is done again):
 * synchronous=NORMAL while relaxed, FULL otherwise. Outside transactions
 * only. */
int store_relaxed(struct store *st, int relaxed);

/* A write of several calls that nests: a transaction, or a savepoint
 * inside the caller's. store_nest_end() commits (or releases) when rc is
 * CUR_OK, else undoes the call's own work; it returns rc, or the commit's
 * error. */
int store_nest_begin(struct store *st, int *own);
int store_nest_end(struct store *st, int own, int rc);

/* Transactions spanning several calls (e.g. the demo seed). */
int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);

/* Backups (store_backup.c). */

/* Pages store_backup() copies per step (1 MiB at SQLite's default 4 KiB
 * pages): the source is read-locked only during a step. */
#define STORE_BACKUP_STEP 256

/* Copy the open database to 'path' while other connections (the daemon)
 * go on reading and writing: SQLite's backup API, STORE_BACKUP_STEP pages
 * per step, into 'path'.tmp (mode 0600), which is then switched out of
 * WAL mode (one self-contained file), checked with PRAGMA
 * integrity_check, fsynced and renamed to 'path'. If another connection
 * writes between two steps the copy starts again; after a few restarts
 * the rest is copied in one step. 'progress' (may be NULL) is called
 * after each step with the pages done and the total (which may change
 * between calls; the last call has done == total).
 *
 * Refuses, leaving every file as it was: an existing 'path' or a
 * left-over 'path'.tmp unless 'force' (CUR_EEXIST); a directory, a
 * special file, or the database's own files even with 'force', and a
 * call inside a transaction (CUR_EINVAL). A copy failing the check is
 * removed (CUR_ESTORE); a file-system error gives CUR_EIO. On failure
 * 'err' (errlen bytes, may be NULL) says why, naming the path; nothing is
 * logged. */
int store_backup(struct store *st, const char *path, int force,
                 void (*progress)(void *ctx, int done, int total), void *ctx,
                 char *err, size_t errlen);

/* ------------------------------------------------------------------ */
/* Web (store_web.c): accounts, sessions, invitations, login throttling,
 * saved items, the journal, and the reads the web pages need. Tokens
 * (sessions, invitations) are stored only as BLAKE2b hashes, so a copy
 * of the database cannot log anybody in. */

#define STORE_PASSWORD_MIN 8        /* bytes */
#define STORE_PASSWORD_MAX 1024     /* bytes; longer is refused unhashed */
#define STORE_TOKEN_LEN 43          /* characters of a session or invite
                                       token (256 bits, base64url) */
#define STORE_NAME_MAX 64           /* as VALID_NAME_MAX */

/* A new random token (STORE_TOKEN_LEN characters and the NUL). */
void store_token_new(char out[STORE_TOKEN_LEN + 1]);

/* Hash 'password' with argon2id (libsodium, its interactive limits) and
 * store it. CUR_EINVAL when the password is shorter than
 * STORE_PASSWORD_MIN or longer than STORE_PASSWORD_MAX bytes, or holds
 * a control character; CUR_ENOTFOUND for no such user; CUR_ENOMEM when
 * hashing runs out of memory. Costs about 0.1 s of CPU and 64 MiB:
 * callers serving many users limit how many run at once. */
int store_user_set_password(struct store *st, long long user_id,
                            const char *password);
/* Store an already computed hash (a rehash after a login). */
int store_user_set_password_hash(struct store *st, long long user_id,
                                 const char *hash);
/* The id and stored password hash of the user 'name' ("" when none is
 * set; 'hash' holds 'len' bytes, 256 is plenty). CUR_ENOTFOUND when
 * there is no such user. */
int store_user_password_hash(struct store *st, const char *name,
                             long long *user_id, char *hash, size_t len);
/* Whether 'password' matches 'hash' (an argon2id string): 1 or 0. */
int store_password_verify(const char *hash, const char *password);
/* Whether a stored hash is weaker than what store_user_set_password()
 * makes today: 1 or 0. */
int store_password_needs_rehash(const char *hash);

struct store_user_info {
    long long id;
    char name[STORE_NAME_MAX + 1];
    char email[256];
    char role[16];              /* "subscriber", "editor" or "admin" */
    long long created;
    int has_password;
};
/* One user's account; CUR_ENOTFOUND if none. */
int store_user_info(struct store *st, long long user_id,
                    struct store_user_info *out);
/* Change the email address; CUR_EINVAL when not valid_email(). */
int store_user_set_email(struct store *st, long long user_id,
                         const char *email);
/* Delete a user with everything that is theirs (profile, feedback,
 * scores, saved items, journal, sessions, digests); gems they tagged
 * go too. CUR_ENOTFOUND if none. */
int store_user_delete(struct store *st, long long user_id);

/* Sessions. 'token' is what the cookie carries; only its hash is kept. */
struct store_session {
    long long user_id;
    char name[STORE_NAME_MAX + 1];
    char role[16];
    char csrf[STORE_TOKEN_LEN + 1];
    long long created;
    long long last_seen;
};
/* Record a new session made at 'now' from address 'ip'. */
int store_session_add(struct store *st, const char *token, long long user_id,
                      const char *csrf, long long now, const char *ip);
/* The live session of 'token': seen within 'idle' seconds and made
 * within 'max_age' seconds of 'now'. CUR_ENOTFOUND when there is none
 * (or it expired). */
int store_session_get(struct store *st, const char *token, long long now,
                      long long idle, long long max_age,
                      struct store_session *out);
int store_session_touch(struct store *st, const char *token, long long now);
int store_session_delete(struct store *st, const char *token);
/* End every session of a user but the one of 'keep' (may be NULL). */
int store_session_delete_user(struct store *st, long long user_id,
                              const char *keep);
/* Forget sessions expired at 'now'; *n (may be NULL) gets the count. */
int store_session_purge(struct store *st, long long now, long long idle,
                        long long max_age, long long *n);

/* Failed logins, for rate limiting. 'account' is the name as typed. */
int store_login_failed(struct store *st, const char *account,
                       const char *ip, long long now);
/* Failures since 'since' for the account and for the address. */
int store_login_failures(struct store *st, const char *account,
                         const char *ip, long long since,
                         long long *by_account, long long *by_ip);
/* Forget the account's failures (after a good login). */
int store_login_forget(struct store *st, const char *account);
/* Forget failures older than 'before'. */
int store_login_purge(struct store *st, long long before);

/* Invitations: a random token good for one account with 'role' until
 * 'expires'. 'created_by' is the inviting user (0: the command line).
 * The link is BASE_URL/invite/TOKEN. CUR_EINVAL for a bad role. */
int store_invite_create(struct store *st, const char *role,
                        long long expires, long long created_by,
                        char token[STORE_TOKEN_LEN + 1]);
/* The role an unused, unexpired invitation gives (static string), or
 * CUR_ENOTFOUND. */
int store_invite_check(struct store *st, const char *token, long long now,
                       const char **role);
/* Mark the invitation used by 'user_id' at 'now': CUR_ENOTFOUND when it
 * is unknown, used or expired (then nothing changes). */
int store_invite_use(struct store *st, const char *token, long long now,
                     long long user_id);

/* An item as a saved or journal entry refers to it. */
struct store_item_ref {
    long long item_id;
    long long feed_id;
    const char *feed_url;
    const char *feed_title;     /* may be NULL */
    const char *guid;
    const char *title;
    const char *link;           /* may be NULL */
    long long published;
};

/* Saved items (the portfolio): a note per (user, item). 'note' NULL
 * keeps the note of an item saved before ("" for a new one). */
int store_saved_put(struct store *st, long long user_id, long long item_id,
                    const char *note, long long now);
int store_saved_remove(struct store *st, long long user_id,
                       long long item_id);             /* CUR_ENOTFOUND */
struct store_saved {
    struct store_item_ref item;
    const char *note;
    const char *summary;        /* plain text, may be NULL */
    long long created;
    long long updated;
};
typedef int (*store_saved_cb)(void *ctx, const struct store_saved *s);
/* Newest first, at most 'limit'. */
int store_saved_list(struct store *st, long long user_id, int limit,
                     store_saved_cb cb, void *ctx);

/* The journal: dated entries, about an item (item_id) or not (0). */
int store_journal_add(struct store *st, long long user_id, long long item_id,
                      const char *body, long long now, long long *id);
int store_journal_update(struct store *st, long long user_id, long long id,
                         const char *body, long long now); /* ENOTFOUND */
int store_journal_remove(struct store *st, long long user_id, long long id);
struct store_journal {
    long long id;
    struct store_item_ref item; /* item_id 0 (strings NULL) for none */
    const char *body;
    long long created;
    long long updated;
};
typedef int (*store_journal_cb)(void *ctx, const struct store_journal *j);
/* Newest first, at most 'limit'; 'query' (may be NULL or "") keeps the
 * entries holding every word of it (word prefixes match). */
int store_journal_list(struct store *st, long long user_id,
                       const char *query, int limit, store_journal_cb cb,
                       void *ctx);
int store_journal_get(struct store *st, long long user_id, long long id,
                      store_journal_cb cb, void *ctx);   /* ENOTFOUND */

/* Profiles as the pages edit them. Every change bumps the revision. */
typedef int (*store_goal_cb)(void *ctx, long long id, const char *name);
int store_goal_list(struct store *st, long long user_id, store_goal_cb cb,
                    void *ctx);
/* Remove a goal; its interests stay, without a goal. */
int store_goal_remove(struct store *st, long long user_id, long long goal_id);
/* Rename one of the user's goals: CUR_EEXIST when the user has a goal of
 * that name (case aside), CUR_ENOTFOUND when the goal is not theirs. */
int store_goal_rename(struct store *st, long long user_id, long long goal_id,
                      const char *name);
struct store_interest_row {
    long long id;
    const char *term;
    double weight;
    long long goal_id;          /* 0: none */
    const char *goal;           /* NULL: none */
    int is_phrase;
};
typedef int (*store_interest_row_cb)(void *ctx,
                                     const struct store_interest_row *r);
int store_interest_rows(struct store *st, long long user_id,
                        store_interest_row_cb cb, void *ctx);
/* Add or change an interest, its goal set exactly (0: none); the goal
 * must be the user's (CUR_ENOTFOUND otherwise). */
int store_interest_set(struct store *st, long long user_id, const char *term,
                       double weight, long long goal_id, int is_phrase);
int store_interest_remove(struct store *st, long long user_id,
                          const char *term);              /* ENOTFOUND */
struct store_mute_row {
    long long id;
    const char *term;           /* NULL for a muted feed */
    long long feed_id;
    const char *feed_title;     /* may be NULL */
    const char *feed_url;       /* NULL for a muted term */
};
typedef int (*store_mute_row_cb)(void *ctx, const struct store_mute_row *m);
int store_mute_rows(struct store *st, long long user_id,
                    store_mute_row_cb cb, void *ctx);
int store_mute_remove(struct store *st, long long user_id,
                      long long mute_id);                 /* ENOTFOUND */

/* Subscriptions as the Sources page lists them. */
struct store_subscription {
    long long feed_id;
    const char *url;
    const char *title;          /* may be NULL */
    const char *site_url;       /* may be NULL */
    const char *category;       /* may be NULL */
    double weight;              /* the user's source weight, 1 if none */
    int muted;
    long long last_success;
    const char *last_error;     /* may be NULL */
};
typedef int (*store_subscription_cb)(void *ctx,
                                     const struct store_subscription *s);
int store_subscription_list(struct store *st, long long user_id,
                            store_subscription_cb cb, void *ctx);
int store_unsubscribe(struct store *st, long long user_id,
                      long long feed_id);                 /* ENOTFOUND */

/* The Today page: the user's included scores of items fetched at or
 * after 'since', best first (ties: newest first), each with the user's
 * verdict, whether it is saved, and its live gem, in one query. */
struct store_ranked {
    long long item_id;
    long long feed_id;
    const char *title;
    const char *link;           /* may be NULL */
    const char *feed_title;     /* may be NULL */
    const char *feed_url;
    const char *snippet;        /* start of the plain text, may be NULL */
    long long published;
    long long fetched;
    double score;
    const char *reasons;
    long long dup_of;
    int verdict;                /* 1, -1, or 0: none */
    int saved;
    const char *gem_editor;     /* NULL unless a live gem */
    const char *gem_note;
};
typedef int (*store_ranked_cb)(void *ctx, const struct store_ranked *r);
int store_ranked(struct store *st, long long user_id, long long since,
                 long long now, int limit, store_ranked_cb cb, void *ctx);

/* One item the user may see (from a subscription, or scored, saved or
 * given feedback), as store_item_list() shows it; CUR_ENOTFOUND when
 * there is none such. */
int store_item_for_user(struct store *st, long long user_id,
                        long long item_id, store_item_cb cb, void *ctx);
/* Items of the user's subscriptions fetched at or after 'since', as the
 * scorer reads them, newest first, at most 'limit'. */
int store_items_window_user(struct store *st, long long user_id,
                            long long since, long long now, int limit,
                            store_scoring_item_cb cb, void *ctx);

/* The user's feedback, newest first, with the items it is about. */
struct store_verdict {
    struct store_item_ref item;
    int verdict;
    long long created;
};
typedef int (*store_verdict_cb)(void *ctx, const struct store_verdict *v);
int store_feedback_user(struct store *st, long long user_id,
                        store_verdict_cb cb, void *ctx);

/* The item with 'guid' in the feed at 'feed_url', made when missing
 * (the feed too, with 'origin'; the item fetched at 'now'): for imports
 * from another Curator. *item_id gets its id. */
int store_item_ensure(struct store *st, const char *feed_url,
                      const char *origin, const char *guid,
                      const char *title, const char *link,
                      long long published, long long now,
                      long long *item_id);

/* Teams, shares and collections (store_team.c). Names are 1 to 64
 * bytes without control characters. */
int store_team_add(struct store *st, const char *name, long long *id);
int store_team_find(struct store *st, const char *name, long long *id);
/* CUR_ENOTFOUND when the team or user does not exist. */
int store_team_member_add(struct store *st, long long team_id,
                          long long user_id);
int store_team_member(struct store *st, long long team_id,
                      long long user_id, int *is_member);
/* A member shares an item with the team (again: the note is replaced). */
int store_share_add(struct store *st, long long team_id, long long user_id,
                    long long item_id, const char *note);

/* An item teammates shared with one of the user's teams, folded: how
 * many shared it (other than the user) and the latest note. */
struct store_team_share {
    long long item_id;
    const char *title;
    const char *link;           /* may be NULL */
    const char *feed;           /* feed title or URL */
    const char *team;
    const char *note;           /* the latest non-empty note, or "" */
    int sharers;
    long long latest;
};
typedef int (*store_team_share_cb)(void *ctx,
                                   const struct store_team_share *s);
/* Shares since 'since' by the user's teammates, most shared first, at
 * most 'limit'. */
int store_team_shares_for_user(struct store *st, long long user_id,
                               long long since, int limit,
                               store_team_share_cb cb, void *ctx);

int store_collection_add(struct store *st, const char *name,
                         long long editor_id, long long *id);
int store_collection_find(struct store *st, const char *name,
                          long long *id);
/* Add a feed to a collection and subscribe its followers to it. */
int store_collection_feed_add(struct store *st, long long collection_id,
                              long long feed_id);
/* Follow a collection: subscribe the user to its feeds, now and as the
 * editor adds more. */
int store_collection_follow(struct store *st, long long collection_id,
                            long long user_id);
typedef int (*store_id_cb)(void *ctx, long long id);
int store_collection_feeds(struct store *st, long long collection_id,
                           store_id_cb cb, void *ctx);

/* How far a gem went: users it was scored for (reached) and those of
 * them who gave 👍. Aggregates only. */
int store_gem_reach(struct store *st, long long item_id, long long *reached,
                    long long *liked);

/* ------------------------------------------------------------------ */
/* API tokens (store_api.c): per-user bearer tokens for the JSON API.
 * A token is "cur_" and 43 base64url characters (256 random bits); it
 * is shown once, and only its hash is stored (as session tokens are),
 * so a copy of the database cannot call the API. */

#define STORE_API_PREFIX "cur_"
#define STORE_API_TOKEN_LEN (4 + STORE_TOKEN_LEN)  /* characters */
#define STORE_API_NAME_MAX 64       /* characters of a token's name */
#define STORE_API_TOKENS_MAX 20     /* tokens per user */
#define STORE_API_TOUCH_EVERY 300   /* seconds between last_used writes */

/* 1 when 'name' is a good token name: 1 to STORE_API_NAME_MAX UTF-8
 * characters, no control characters, not only spaces. */
int store_api_name_ok(const char *name);
/* Make a token called 'name' for the user at 'now': *token gets it (the
 * only time it exists in clear), *id (may be NULL) its row. CUR_EINVAL
 * for a bad name, CUR_ETOOBIG when the user has STORE_API_TOKENS_MAX
 * already, CUR_ENOTFOUND for no such user. */
int store_api_token_create(struct store *st, long long user_id,
                           const char *name, long long now,
                           char token[STORE_API_TOKEN_LEN + 1],
                           long long *id);
struct store_api_token {
    long long id;
    const char *name;
    long long created;
    long long last_used;        /* 0: never */
};
typedef int (*store_api_token_cb)(void *ctx,
                                  const struct store_api_token *t);
/* The user's tokens, newest first. */
int store_api_token_list(struct store *st, long long user_id,
                         store_api_token_cb cb, void *ctx);
/* Revoke one of the user's tokens: CUR_ENOTFOUND when it is not theirs
 * (then nothing changes). */
int store_api_token_revoke(struct store *st, long long user_id,
                           long long id);
/* Who 'token' belongs to. */
struct store_api_auth {
    long long token_id;
    long long user_id;
    char name[STORE_NAME_MAX + 1];
    char role[16];              /* the user's role now */
};
/* Look 'token' up at 'now': CUR_ENOTFOUND when it is malformed, unknown
 * or revoked. Records the use when the last one is more than
 * STORE_API_TOUCH_EVERY seconds old (a failed write is logged, not
 * returned). */
int store_api_token_check(struct store *st, const char *token,
                          long long now, struct store_api_auth *out);

/* ------------------------------------------------------------------ */
/* Operations (store_ops.c): what the admins' pages read and change,
 * and the team listings and removals (store_team.c). */

/* A feed's health as the admins' Feeds page shows it. */
struct store_feed_health {
    long long id;
    const char *url;
    const char *title;          /* NULL until first parsed */
    const char *origin;         /* "config", "cli" or "web" */
    long long last_poll;        /* 0: never */
    long long last_success;     /* 0: never */
    long long last_failure;     /* 0: never */
    int last_status;            /* HTTP status, 0 if none */
    int failures;               /* consecutive */
    const char *last_error;     /* may be NULL */
    long long next_poll;
    long long disabled_at;      /* 0: polled */
    const char *disabled_reason;    /* may be NULL */
    long long items_week;       /* items stored in the 7 days to 'now' */
};
typedef int (*store_feed_health_cb)(void *ctx,
                                    const struct store_feed_health *h);
/* Feeds, the troubled first (most consecutive failures, then disabled,
 * then by id), at most 'limit' from 'offset', each with its items of
 * the week before 'now' (one grouped query). CUR_EINVAL for a limit
 * under 1 or a negative offset. */
int store_ops_feeds(struct store *st, long long now, int limit,
                    long long offset, store_feed_health_cb cb, void *ctx);
struct store_feed_totals {
    long long feeds;
    long long failing;          /* failures > 0, not disabled */
    long long disabled;
};
int store_ops_feed_totals(struct store *st, struct store_feed_totals *out);
/* Stop polling a feed, recording 'reason' (may be NULL); a disabled
 * feed stays as it was. CUR_ENOTFOUND for no such feed. */
int store_ops_feed_disable(struct store *st, long long id, long long now,
                           const char *reason);
/* Poll a disabled feed again, due at 'now'. CUR_ENOTFOUND. */
int store_ops_feed_enable(struct store *st, long long id, long long now);

struct store_outbox_totals {
    long long queued;           /* waiting for a first attempt */
    long long retrying;         /* queued again after a failed attempt */
    long long failed;           /* given up */
    long long sent;
};
int store_ops_outbox_totals(struct store *st,
                            struct store_outbox_totals *out);
/* A message that failed or waits to be retried. */
struct store_outbox_problem {
    long long id;
    long long user_id;
    const char *user;           /* the user's name */
    const char *rcpt;
    const char *period_key;
    const char *status;         /* "failed" or "queued" (retrying) */
    int attempts;
    const char *last_error;     /* the server's reply; may be NULL */
    long long created;
    long long next_attempt;
};
typedef int (*store_outbox_problem_cb)(void *ctx,
                                       const struct store_outbox_problem *p);
/* Failed messages, then those waiting to retry, newest first, at most
 * 'limit'. */
int store_ops_outbox_problems(struct store *st, int limit,
                              store_outbox_problem_cb cb, void *ctx);
/* Queue every failed message again at 'now' (the same message, its
 * attempts kept); *n (may be NULL) gets how many. */
int store_ops_outbox_retry_failed(struct store *st, long long now,
                                  long long *n);

/* Teams as the pages list them. */
struct store_team {
    long long id;
    const char *name;
    long long created;
    long long members;
};
typedef int (*store_team_cb)(void *ctx, const struct store_team *t);
/* Every team (user_id 0), or the teams 'user_id' is a member of, by
 * name. */
int store_team_list(struct store *st, long long user_id, store_team_cb cb,
                    void *ctx);
/* One team; CUR_ENOTFOUND if none. */
int store_team_get(struct store *st, long long team_id, store_team_cb cb,
                   void *ctx);
typedef int (*store_team_member_cb)(void *ctx, long long user_id,
                                    const char *name);
/* A team's members, by name. */
int store_team_members(struct store *st, long long team_id,
                       store_team_member_cb cb, void *ctx);
/* Take a user out of a team (what they shared stays with it);
 * CUR_ENOTFOUND when they were not a member. */
int store_team_member_remove(struct store *st, long long team_id,
                             long long user_id);
/* Remove a team with its memberships and shares; CUR_ENOTFOUND. */
int store_team_remove(struct store *st, long long team_id);
/* One share of an item with a team, with the item's fold: how many
 * members shared it and when last. */
struct store_team_item_share {
    long long item_id;
    const char *title;
    const char *link;           /* may be NULL */
    const char *feed;           /* feed title or URL */
    int sharers;                /* members who shared the item */
    long long latest;           /* the item's latest share */
    const char *user;           /* who made this share */
    const char *note;           /* "" for none */
    long long created;
};
typedef int (*store_team_item_share_cb)(
    void *ctx, const struct store_team_item_share *s);
/* The items shared with a team, latest first, at most 'limit' items:
 * one row per share, an item's shares together, oldest first. */
int store_team_item_shares(struct store *st, long long team_id, int limit,
                           store_team_item_share_cb cb, void *ctx);


/* ------------------------------------------------------------------ */
/* Editors' pages (store_editor.c): the Recent search, gems with their
 * reach, and collections listed, changed and unfollowed. Removing a
 * feed from a collection or deleting a collection unsubscribes nobody
 * (subscriptions do not record where they came from). */

/* An FTS5 expression for items_fts from what a person typed: words
 * (letters, digits, any non-ASCII byte) are required, "a phrase" in
 * double quotes is one term (to the end if unclosed), word* or
 * "phrase"* matches as a prefix, and -word or -"phrase" (at the start
 * or after a space) excludes; at most 16 terms are kept. Everything is
 * quoted, so no FTS5 syntax typed means anything. Returns the number of
 * terms wanted, with the expression in 'out' (len bytes; 1024 holds
 * any 300-byte input); 0 when nothing searchable was typed (or it does
 * not fit), -1 when only exclusions were (out is "" then). */
int store_recent_query(const char *typed, char *out, size_t len);

struct store_recent_filter {
    const char *query;          /* store_recent_query()'s; NULL or "":
                                   every item */
    long long feed_id;          /* 0: every feed */
    const char *tag;            /* NULL or "": any; else one of the
                                   item's categories or its gem's tags,
                                   ASCII case aside */
    long long from, to;         /* the item's date in [from, to); 0:
                                   open */
    int limit, offset;
};
struct store_recent {
    long long item_id;
    long long feed_id;
    const char *feed_title;     /* may be NULL */
    const char *feed_url;
    const char *title;
    const char *link;           /* may be NULL */
    const char *summary;        /* the first 400 characters, may be NULL */
    const char *tags;           /* categories, '\n'-separated, may be NULL */
    long long date;             /* published; fetched when unknown, or
                                   when the feed dates it later */
    const char *gem_note;       /* NULL unless tagged (live or expired) */
    long long gem_expires;      /* 0: never */
};
typedef int (*store_recent_cb)(void *ctx, const struct store_recent *r);
/* Index the items stored since the last call for full-text search (the
 * Recent page), at most 'limit' of them, in one statement: a bulk insert
 * costs a fraction of one per item. curatord calls it after each polling
 * round, `curator poll` at its end. *n (may be NULL) gets the count. */
int store_search_catch_up(struct store *st, int limit, long long *n);

/* Every feed's items that pass the filter, newest first (by date, then
 * id). CUR_EINVAL when SQLite refuses the query expression. */
int store_recent(struct store *st, const struct store_recent_filter *f,
                 store_recent_cb cb, void *ctx);

/* Feeds in short, by title: every feed (collection_id 0) or a
 * collection's, at most 'limit'. */
struct store_feed_brief {
    long long id;
    const char *url;
    const char *title;          /* may be NULL */
    const char *site_url;       /* may be NULL */
};
typedef int (*store_feed_brief_cb)(void *ctx,
                                   const struct store_feed_brief *f);
int store_feed_briefs(struct store *st, long long collection_id, int limit,
                      store_feed_brief_cb cb, void *ctx);

/* A gem, live or expired, with its reach as store_gem_reach() counts
 * it: aggregates only, never who. */
struct store_gem_info {
    long long item_id;
    const char *title;
    const char *link;           /* may be NULL */
    const char *feed_title;     /* may be NULL */
    const char *editor;         /* the editor's name; may be NULL */
    const char *note;
    const char *tags;           /* comma-separated, may be "" */
    const char *audience;       /* comma-separated, may be "" */
    long long created;
    long long expires;          /* 0: never */
    long long reached;
    long long liked;
};
typedef int (*store_gem_info_cb)(void *ctx, const struct store_gem_info *g);
/* Every gem, last tagged first, skipping 'offset', at most 'limit'. */
int store_gem_list(struct store *st, int limit, int offset,
                   store_gem_info_cb cb, void *ctx);
/* The item's gem, even expired; CUR_ENOTFOUND when it is none. */
int store_gem_get(struct store *st, long long item_id, store_gem_info_cb cb,
                  void *ctx);
int store_gem_count(struct store *st, long long *n);

struct store_collection {
    long long id;
    const char *name;
    long long editor_id;        /* 0 when the editor's account is gone */
    const char *editor;         /* NULL then */
    long long created;
    long long n_feeds;
    long long n_followers;      /* a count: followers are never listed */
    int following;              /* the user asked about follows it */
};
typedef int (*store_collection_cb)(void *ctx,
                                   const struct store_collection *c);
/* Every collection by name; 'user_id' (0: nobody) sets 'following'. */
int store_collection_list(struct store *st, long long user_id,
                          store_collection_cb cb, void *ctx);
/* One collection; CUR_ENOTFOUND if none. */
int store_collection_get(struct store *st, long long collection_id,
                         long long user_id, store_collection_cb cb,
                         void *ctx);
/* Take a feed out of a collection (CUR_ENOTFOUND when it is not in it);
 * followers keep their subscription to it. */
int store_collection_feed_remove(struct store *st, long long collection_id,
                                 long long feed_id);
/* Delete a collection with its feed list and follows; followers keep
 * their subscriptions. CUR_ENOTFOUND if none. */
int store_collection_delete(struct store *st, long long collection_id);
/* Stop following (CUR_ENOTFOUND when the user does not follow it).
 * With 'drop_feeds' the user is also unsubscribed from the collection's
 * feeds that no other collection they follow holds, in the same
 * transaction; without it every subscription stays. */
int store_collection_unfollow(struct store *st, long long collection_id,
                              long long user_id, int drop_feeds);

#endif
