/* What the command files of the curator CLI share: the session (config
 * and store), error reporting and argument helpers. Commands return 0 on
 * success, 1 when the operation failed (after fail()), -2 on bad
 * arguments (main prints the usage). */
#ifndef CURATOR_CLI_H
#define CURATOR_CLI_H

#include "config.h"
#include "poller.h"
#include "store.h"

struct cli {
    const char *config_path;
    struct config *cfg;
    struct store *st;
    struct poller_cfg poll;     /* from the config */
};

/* "curator: message" on standard error; returns 1. */
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A whole number from a command-line word, or -1. */
long long parse_id(const char *s);
/* The user's id, or a message and 1. */
int find_user(struct cli *c, const char *name, long long *id);

/* Scoring commands (cmd_score.c). */
int cmd_goal_add(struct cli *c, int argc, char **argv);
int cmd_interest_add(struct cli *c, int argc, char **argv);
int cmd_mute_add(struct cli *c, int argc, char **argv);
int cmd_source_weight(struct cli *c, int argc, char **argv);
int cmd_feedback(struct cli *c, int argc, char **argv);
int cmd_gem_add(struct cli *c, int argc, char **argv);
int cmd_explain(struct cli *c, int argc, char **argv);
int cmd_top(struct cli *c, int argc, char **argv);
int cmd_score(struct cli *c, int argc, char **argv);
int cmd_user_role(struct cli *c, int argc, char **argv);
/* Digest commands (cmd_digest.c). */
int cmd_digest_set(struct cli *c, int argc, char **argv);
int cmd_digest_preview(struct cli *c, int argc, char **argv);
int cmd_digest_send(struct cli *c, int argc, char **argv);
int cmd_digest_feed_url(struct cli *c, int argc, char **argv);
int cmd_outbox_list(struct cli *c, int argc, char **argv);
int cmd_outbox_retry(struct cli *c, int argc, char **argv);

/* Score what is new and rescore changed users, as the daemon would;
 * quiet unless something fails. Returns 0 or 1 (after fail()). */
int cli_score_now(struct cli *c);

/* Backups (cmd_backup.c). */
int cmd_backup(struct cli *c, int argc, char **argv);

/* Teams, collections, gem reach (cmd_team.c). */
int cmd_team_add(struct cli *c, int argc, char **argv);
int cmd_team_member(struct cli *c, int argc, char **argv);
int cmd_share(struct cli *c, int argc, char **argv);
int cmd_collection_add(struct cli *c, int argc, char **argv);
int cmd_collection_feed(struct cli *c, int argc, char **argv);
int cmd_collection_follow(struct cli *c, int argc, char **argv);
int cmd_gem_reach(struct cli *c, int argc, char **argv);
int cmd_user_password(struct cli *c, int argc, char **argv);
int cmd_invite(struct cli *c, int argc, char **argv);

#endif
