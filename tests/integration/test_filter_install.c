/* The filter ABI from outside: `make install` into a temporary DESTDIR,
 * an example filter (tests/fixtures/example-filter/example.c) built with
 * only the installed header and `cc -shared -fPIC`, then loaded by the
 * real curatord (its log names it with its ABI) and used by the real
 * CLI (its reason shows in `curator top --json`).
 */
#define _GNU_SOURCE     /* asprintf */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "filter.h"
#include "support.h"

static char *
run_ok(char *const argv[])
{
    char *out = NULL, *err = NULL;
    int rc = t_run(argv, &out, &err);
    if (rc != 0)
        fail_msg("%s exited %d: %s%s", argv[0], rc, out ? out : "",
                 err ? err : "");
    free(err);
    return out;
}

static void
test_out_of_tree_filter(void **state)
{
    char *dir = t_mkdtemp(), *dest, *inc, *so, *src, *cfg, *cfg_text, *log;
    char *buildvar, cli[4096], daemon[4096], feed[4096], *abs_build;
    (void)state;

    abs_build = realpath(t_build_dir(), NULL);
    assert_non_null(abs_build);
    assert_true(asprintf(&dest, "%s/dest", dir) > 0);
    assert_true(asprintf(&inc, "%s/usr/include", dest) > 0);
    assert_true(asprintf(&so, "%s/example.so", dir) > 0);
    assert_true(asprintf(&buildvar, "BUILD=%s", t_build_dir()) > 0);
    assert_true(asprintf(&log, "%s/curatord.log", dir) > 0);
    src = realpath("tests/fixtures/example-filter/example.c", NULL);
    assert_non_null(src);

    /* Install, then build against the installed header alone. */
    char *destvar;
    assert_true(asprintf(&destvar, "DESTDIR=%s", dest) > 0);
    char *make[] = { "/usr/bin/make", "--no-print-directory", "-s",
                     buildvar, destvar, "PREFIX=/usr", "install", NULL };
    free(run_ok(make));
    char *hdr;
    assert_true(asprintf(&hdr, "%s/curator/filter.h", inc) > 0);
    assert_int_equal(access(hdr, R_OK), 0);
    char *incflag;
    assert_true(asprintf(&incflag, "-I%s", inc) > 0);
    char *cc[] = { "/usr/bin/cc", "-std=c11", "-Wall", "-Wextra", "-Werror",
                   "-shared", "-fPIC", incflag, "-o", so, src, NULL };
    free(run_ok(cc));

    /* A config with only the example filter; the fixture feed's links
     * are on example.org. */
    snprintf(feed, sizeof feed, "%s/tests/fixtures/rss2-basic.xml",
             getcwd(cli, sizeof cli));
    assert_true(asprintf(&cfg_text,
        "[store]\npath = curator.db\n[log]\nfile = curatord.log\n"
        "[web]\nenabled = false\n[digest]\nspool = .\n"
        "[filter example]\npath = %s\nbonus = 2.5\n"
        "[feeds]\nfixture = %s\n", so, feed) > 0);
    cfg = t_write_file(dir, "curator.ini", cfg_text);
    free(cfg_text);

    snprintf(cli, sizeof cli, "%s/curator", t_build_dir());
    char *init[] = { cli, "-c", cfg, "init", NULL };
    free(run_ok(init));
    char *uadd[] = { cli, "-c", cfg, "user", "add", "ann",
                     "ann@example.org", NULL };
    free(run_ok(uadd));
    char *sub[] = { cli, "-c", cfg, "subscribe", "ann", "1", NULL };
    free(run_ok(sub));
    char *poll[] = { cli, "-c", cfg, "poll", "--all", NULL };
    free(run_ok(poll));
    char *top[] = { cli, "-c", cfg, "top", "ann", "--json", NULL };
    char *out = run_ok(top);
    assert_non_null(strstr(out, "\"filter\": \"example\""));
    assert_non_null(strstr(out, "\"text\": \"from example.org\""));
    assert_non_null(strstr(out, "\"score\": 2.5"));
    free(out);

    /* The daemon loads it and says so, with its ABI. */
    snprintf(daemon, sizeof daemon, "%s/curatord", t_build_dir());
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execl(daemon, daemon, "-c", cfg, (char *)NULL);
        _exit(127);
    }
    int found = 0;
    char abi[32];
    snprintf(abi, sizeof abi, "abi=%d.%d", CURATOR_FILTER_ABI_MAJOR,
             CURATOR_FILTER_ABI_MINOR);
    for (int i = 0; i < 100 && !found; i++) {
        char *text = t_read_file(log, NULL);
        found = text && strstr(text, "filter loaded name=example")
                && strstr(text, abi);
        free(text);
        if (!found)
            usleep(100000);
    }
    kill(pid, SIGTERM);
    int ws;
    waitpid(pid, &ws, 0);
    assert_true(found);
    assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);

    free(incflag);
    free(hdr);
    free(destvar);
    free(cfg);
    free(src);
    free(log);
    free(buildvar);
    free(so);
    free(inc);
    free(dest);
    free(abs_build);
    t_rmtree(dir);
    free(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_out_of_tree_filter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
