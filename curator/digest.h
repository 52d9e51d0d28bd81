/* Email digests: for each user whose period has come (digest_time.h, in
 * their own time zone), the items they were not sent before, scored
 * above their threshold since their last digest: editors' gems first
 * with the editor's note, then grouped by the user's goals, capped per
 * goal and in total, near-copies folded, each with its one-line reason.
 * The message (mime.h) is queued in the store's outbox in the same
 * transaction that records the period as done; delivery (mail.h) sends
 * queued messages and retries temporary failures with backoff.
 */
#ifndef CURATOR_DIGEST_H
#define CURATOR_DIGEST_H

#include <stddef.h>

#include "buf.h"
#include "store.h"
#include "token.h"

struct digest_cfg {
    const char *base_url;       /* the web page, for links ("http://..") */
    const char *from_email;
    const char *from_name;
    const char *smtp_url;       /* NULL or "": write .eml to spool_dir */
    int require_tls;
    const char *smtp_user;      /* may be NULL */
    const char *smtp_password;  /* may be NULL; never logged */
    long timeout;               /* seconds, per delivery */
    long retry_min;             /* first wait after a failure, s (0: 60) */
    long retry_max;             /* longest wait between attempts, s */
    long max_age;               /* give up on a message this old, s
                                   (0: three days) */
    const char *spool_dir;
    long window;                /* how far back items may come from, s */
    int team_max;               /* team shares per digest (0: 3) */
    const char *tracking_hosts; /* for the mail sanitiser */
    unsigned char key[TOKEN_KEY_LEN];   /* signs the links */
};

/* One composed digest. */
struct digest_out {
    struct buf message;         /* the RFC 5322 message */
    char message_id[256];
    char period_key[32];
    long long period_start;
    long long *items;           /* the item ids it carries (malloc) */
    size_t n_items;
    int n_below;                /* scored but under the threshold */
    char *text;                 /* the text/plain body (malloc) */
    char *html;                 /* the text/html body, or NULL */
};

void digest_out_init(struct digest_out *o);
void digest_out_free(struct digest_out *o);

/* Compose the digest 'user_id' would get at 'now' (nothing recorded).
 * 'html' < 0 follows the user's setting, 0 forces text only, 1 forces
 * HTML + text. CUR_ENOTFOUND for no such user. */
int digest_compose(struct store *st, const struct digest_cfg *c,
                   long long user_id, long long now, int html,
                   struct digest_out *out);

/* Queue the digests due at 'now' (one per user and period; a period with
 * nothing to send is recorded as done without a message). *queued (may
 * be NULL) gets the count. */
int digest_queue_due(struct store *st, const struct digest_cfg *c,
                     long long now, int *queued);

/* Queue 'user_id''s digest now whatever the schedule (`curator digest
 * send`): CUR_EEXIST when this period's message is already queued. */
int digest_queue_now(struct store *st, const struct digest_cfg *c,
                     long long user_id, long long now, long long *outbox_id);

/* Deliver the queued messages that are due. */
int digest_deliver(struct store *st, const struct digest_cfg *c,
                   long long now, int *sent, int *failed);

/* The links a digest carries, also served by the web page. */
void digest_unsubscribe_url(const struct digest_cfg *c, long long user_id,
                            char *out, size_t len);
void digest_feedback_url(const struct digest_cfg *c, long long user_id,
                         long long item_id, int verdict, char *out,
                         size_t len);
void digest_feed_url(const struct digest_cfg *c, long long user_id,
                     char *out, size_t len);

#endif
