/* curator commands for teams (members share items with a note), editors'
 * collections of feeds (followers are subscribed to each feed), and how
 * far a gem went. */
#include "cli.h"
#include "err.h"
#include "opml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int
find_team(struct cli *c, const char *name, long long *id)
{
    int rc = store_team_find(c->st, name, id);
    if (rc == CUR_ENOTFOUND)
        return fail("no team named '%s' (add it with 'curator team add')",
                    name);
    if (rc != CUR_OK)
        return fail("cannot look up team '%s': %s", name, cur_strerror(rc));
    return 0;
}

static int
find_collection(struct cli *c, const char *name, long long *id)
{
    int rc = store_collection_find(c->st, name, id);
    if (rc == CUR_ENOTFOUND)
        return fail("no collection named '%s'", name);
    if (rc != CUR_OK)
        return fail("cannot look up collection '%s': %s", name,
                    cur_strerror(rc));
    return 0;
}

int
cmd_team_add(struct cli *c, int argc, char **argv)
{
    long long id;
    (void)argc;
    int rc = store_team_add(c->st, argv[0], &id);
    if (rc == CUR_EINVAL)
        return fail("a team name is 1 to 64 bytes without control "
                    "characters");
    if (rc == CUR_EEXIST)
        return fail("there is already a team named '%s'", argv[0]);
    if (rc != CUR_OK)
        return fail("cannot add team '%s': %s", argv[0], cur_strerror(rc));
    printf("team %lld added: %s\n", id, argv[0]);
    return 0;
}

int
cmd_team_member(struct cli *c, int argc, char **argv)
{
    long long team, user;
    (void)argc;
    if (find_team(c, argv[0], &team) || find_user(c, argv[1], &user))
        return 1;
    int rc = store_team_member_add(c->st, team, user);
    if (rc != CUR_OK)
        return fail("cannot add %s to %s: %s", argv[1], argv[0],
                    cur_strerror(rc));
    printf("%s is a member of %s\n", argv[1], argv[0]);
    return 0;
}

/* `share ITEM --user USER --team TEAM [--note TEXT]` */
int
cmd_share(struct cli *c, int argc, char **argv)
{
    long long item = parse_id(argv[0]), user, team;
    const char *uname = NULL, *tname = NULL, *note = "";
    int member;

    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            return -2;
        if (strcmp(argv[i], "--user") == 0)
            uname = argv[++i];
        else if (strcmp(argv[i], "--team") == 0)
            tname = argv[++i];
        else if (strcmp(argv[i], "--note") == 0)
            note = argv[++i];
        else
            return -2;
    }
    if (item < 0)
        return fail("'%s' is not an item ID", argv[0]);
    if (uname == NULL || tname == NULL)
        return -2;
    for (const char *p = note; *p; p++)
        if ((unsigned char)*p < 0x20)
            return fail("--note: control characters are not allowed");
    if (find_user(c, uname, &user) || find_team(c, tname, &team))
        return 1;
    int rc = store_team_member(c->st, team, user, &member);
    if (rc == CUR_OK && !member)
        return fail("%s is not a member of %s", uname, tname);
    if (rc == CUR_OK)
        rc = store_share_add(c->st, team, user, item, note);
    if (rc == CUR_EINVAL)
        return fail("--note: at most 1000 bytes");
    if (rc == CUR_ENOTFOUND)
        return fail("no item with ID %lld (see 'curator items')", item);
    if (rc != CUR_OK)
        return fail("cannot share item %lld: %s", item, cur_strerror(rc));
    printf("%s shared item %lld with %s\n", uname, item, tname);
    return 0;
}

int
cmd_collection_add(struct cli *c, int argc, char **argv)
{
    long long editor = 0, id;
    const char *role;
    if (argc == 3 && strcmp(argv[1], "--editor") == 0) {
        if (find_user(c, argv[2], &editor))
            return 1;
        if (store_user_role(c->st, editor, &role) != CUR_OK
            || strcmp(role, "subscriber") == 0)
            return fail("%s is not an editor", argv[2]);
    } else if (argc != 1) {
        return -2;
    }
    int rc = store_collection_add(c->st, argv[0], editor, &id);
    if (rc == CUR_EINVAL)
        return fail("a collection name is 1 to 64 bytes without control "
                    "characters");
    if (rc == CUR_EEXIST)
        return fail("there is already a collection named '%s'", argv[0]);
    if (rc != CUR_OK)
        return fail("cannot add collection '%s': %s", argv[0],
                    cur_strerror(rc));
    printf("collection %lld added: %s\n", id, argv[0]);
    return 0;
}

int
cmd_collection_feed(struct cli *c, int argc, char **argv)
{
    long long coll, feed = parse_id(argv[1]);
    (void)argc;
    if (find_collection(c, argv[0], &coll))
        return 1;
    if (feed < 0 && store_feed_find(c->st, argv[1], &feed) != CUR_OK)
        return fail("no feed %s (see 'curator feed list')", argv[1]);
    int rc = store_collection_feed_add(c->st, coll, feed);
    if (rc == CUR_ENOTFOUND)
        return fail("no feed with ID %lld", feed);
    if (rc != CUR_OK)
        return fail("cannot add feed %lld to %s: %s", feed, argv[0],
                    cur_strerror(rc));
    printf("feed %lld is in %s; its followers are subscribed\n", feed,
           argv[0]);
    return 0;
}

int
cmd_collection_follow(struct cli *c, int argc, char **argv)
{
    long long coll, user;
    (void)argc;
    if (find_collection(c, argv[0], &coll) || find_user(c, argv[1], &user))
        return 1;
    int rc = store_collection_follow(c->st, coll, user);
    if (rc != CUR_OK)
        return fail("cannot follow %s: %s", argv[0], cur_strerror(rc));
    printf("%s follows %s\n", argv[1], argv[0]);
    return 0;
}

int
cmd_gem_reach(struct cli *c, int argc, char **argv)
{
    long long item = parse_id(argv[0]), reached, liked;
    (void)argc;
    if (item < 0)
        return fail("'%s' is not an item ID", argv[0]);
    int rc = store_gem_reach(c->st, item, &reached, &liked);
    if (rc != CUR_OK)
        return fail("cannot count: %s", cur_strerror(rc));
    printf("item %lld reached %lld people; %lld gave it a thumbs up\n",
           item, reached, liked);
    return 0;
}

/* `user password NAME`: the password from standard input (one line; on
 * a terminal, typed without echo is the shell's business: use `read -s`
 * and a pipe). */
int
cmd_user_password(struct cli *c, int argc, char **argv)
{
    long long id;
    char line[1100];
    (void)argc;
    if (find_user(c, argv[0], &id))
        return 1;
    if (fgets(line, sizeof line, stdin) == NULL)
        return fail("no password on standard input");
    line[strcspn(line, "\r\n")] = '\0';
    int rc = store_user_set_password(c->st, id, line);
    memset(line, 0, sizeof line);
    if (rc == CUR_EINVAL)
        return fail("a password is %d to %d bytes without control "
                    "characters", STORE_PASSWORD_MIN, STORE_PASSWORD_MAX);
    if (rc != CUR_OK)
        return fail("cannot set the password of %s: %s", argv[0],
                    cur_strerror(rc));
    printf("password set for %s\n", argv[0]);
    return 0;
}

/* `invite [--role ROLE] [--days N]`: a one-use link for a new account. */
int
cmd_invite(struct cli *c, int argc, char **argv)
{
    const char *role = "subscriber";
    long long days = 7;
    char token[STORE_TOKEN_LEN + 1], base[300];

    for (int i = 0; i < argc; i++) {
        if (i + 1 >= argc)
            return -2;
        if (strcmp(argv[i], "--role") == 0)
            role = argv[++i];
        else if (strcmp(argv[i], "--days") == 0) {
            days = parse_id(argv[++i]);
            if (days < 1 || days > 365)
                return fail("--days: 1 to 365, not '%s'", argv[i]);
        } else {
            return -2;
        }
    }
    int rc = store_invite_create(c->st, role,
                                 (long long)time(NULL) + days * 86400, 0,
                                 token);
    if (rc == CUR_EINVAL)
        return fail("--role: subscriber, editor or admin, not '%s'", role);
    if (rc != CUR_OK)
        return fail("cannot make an invitation: %s", cur_strerror(rc));
    if (c->cfg->web_base_url != NULL) {
        size_t n = strlen(c->cfg->web_base_url);
        if (n > 0 && c->cfg->web_base_url[n - 1] == '/')
            n--;
        snprintf(base, sizeof base, "%.*s", (int)n, c->cfg->web_base_url);
    } else {
        snprintf(base, sizeof base, "http://%s:%u", c->cfg->web_address,
                 c->cfg->web_port);
    }
    printf("%s/invite/%s\n", base, token);
    fprintf(stderr, "one account as %s, valid %lld days\n", role, days);
    return 0;
}
