/* `curator backup [--force] FILE`: an online copy of the database, safe
 * while curatord runs (store_backup(): SQLite's backup API in steps, then
 * PRAGMA integrity_check on the copy, fsync and rename). Progress goes to
 * standard error when it is a terminal; the summary to standard output.
 * Restoring is a file copy with the daemon stopped (README, "Backup"). */
#include "cli.h"
#include "err.h"
#include "store.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct backup_progress {
    int tty;            /* print a progress line */
    int total;          /* pages, from the last call */
};

static void
backup_progress(void *ctx, int done, int total)
{
    struct backup_progress *bp = ctx;

    bp->total = total;
    if (!bp->tty)
        return;
    fprintf(stderr, "\rbackup: %d/%d pages (%d%%)\033[K", done, total,
            total > 0 ? (int)((long long)done * 100 / total) : 100);
    fflush(stderr);
}

int
cmd_backup(struct cli *c, int argc, char **argv)
{
    struct backup_progress bp = { .tty = isatty(STDERR_FILENO) };
    struct timespec t0, t1;
    struct stat sb;
    const char *path = NULL;
    char err[1024];
    int force = 0;

    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--force") == 0 && !force)
            force = 1;
        else if (path == NULL && argv[i][0] != '-')
            path = argv[i];
        else
            return -2;
    }
    if (path == NULL)
        return -2;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = store_backup(c->st, path, force, backup_progress, &bp, err,
                          sizeof err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (bp.tty)
        fputs("\r\033[K", stderr);
    if (rc != CUR_OK)
        return fail("backup of %s failed: %s", c->cfg->store_path,
                    err[0] ? err : cur_strerror(rc));
    long long bytes = stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
    printf("backup of %s written to %s: %d pages, %lld bytes, "
           "integrity_check ok, %.2f s\n", c->cfg->store_path, path,
           bp.total, bytes, (double)(t1.tv_sec - t0.tv_sec)
           + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    return 0;
}
