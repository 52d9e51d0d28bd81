/* Unit tests for curator/fetch.c without a network: the address check of
 * FETCH-3 on every form the requirement lists, Retry-After and
 * Cache-Control reading, hosts of URLs, and the loop on file:// URLs
 * (the body cap, the scheme checks, a missing file). */
#define _GNU_SOURCE     /* asprintf */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fetch.h"
#include "support.h"

static void
test_refused_addresses(void **state)
{
    static const char *const refused[] = {
        /* IPv4: loopback, this network, private, CGNAT, link-local and
         * the metadata address, protocol assignments, documentation,
         * 6to4 relays, benchmarking, multicast, reserved, broadcast. */
        "127.0.0.1", "127.255.255.254", "0.0.0.0", "0.1.2.3", "10.0.0.1",
        "10.255.255.255", "100.64.0.1", "100.127.255.255", "169.254.169.254",
        "172.16.0.1", "172.31.255.255", "192.0.0.8", "192.0.2.1",
        "192.88.99.1", "192.168.1.1", "198.18.0.1", "198.19.255.255",
        "198.51.100.7", "203.0.113.9", "224.0.0.1", "239.255.255.250",
        "240.0.0.1", "255.255.255.255",
        /* IPv6: unspecified, loopback, IPv4-mapped and -compatible,
         * SIIT, NAT64 of private addresses, local-use NAT64, 6to4 of
         * private addresses, Teredo, documentation, ULA, link-local,
         * site-local, multicast, discard, ORCHID, segment routing. */
        "::", "::1", "::ffff:127.0.0.1", "::ffff:10.1.2.3",
        "::ffff:169.254.169.254", "::127.0.0.1", "::ffff:0:10.0.0.1",
        "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b:1::808:808",
        "2002:7f00:1::", "2002:c0a8:101::1", "2001::1",
        "2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001:db8::1",
        "3fff::1", "fc00::1", "fd12:3456::1", "fe80::1", "fe80::1%eth0",
        "fec0::1", "ff02::1", "100::1", "2001:10::1", "5f00::1",
        /* Not addresses at all. */
        "", "localhost", "127.0.0.1.", "1.2.3", "::g", NULL,
    };
    static const char *const public[] = {
        "8.8.8.8", "1.1.1.1", "93.184.216.34", "100.63.255.255",
        "100.128.0.1", "172.15.255.255", "172.32.0.1", "192.0.1.1",
        "192.169.0.1", "198.17.255.255", "198.20.0.1", "223.255.255.255",
        "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1",
        "2606:4700:4700::1111", "2a00:1450:4001:80b::200e", "2001:200::1",
        "3000::1",
    };
    (void)state;
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        if (!fetch_ip_refused(refused[i]))
            fail_msg("%s was not refused", refused[i] ? refused[i]
                                                      : "(null)");
    for (size_t i = 0; i < sizeof public / sizeof public[0]; i++)
        if (fetch_ip_refused(public[i]))
            fail_msg("%s was refused", public[i]);

    /* Families other than IPv4 and IPv6 are refused. */
    struct sockaddr sa = { .sa_family = AF_UNIX };
    assert_true(fetch_addr_refused(&sa));
}

static void
test_retry_after(void **state)
{
    const long long now = 1793577600LL;    /* Mon, 02 Nov 2026 00:00 GMT */
    (void)state;
    assert_int_equal(fetch_parse_retry_after("120", now), 120);
    assert_int_equal(fetch_parse_retry_after(" 0 ", now), 0);
    assert_int_equal(fetch_parse_retry_after("Mon, 02 Nov 2026 00:05:00 "
                                             "GMT", now), 300);
    assert_int_equal(fetch_parse_retry_after("Monday, 02-Nov-26 01:00:00 "
                                             "GMT", now), 3600);
    /* A date in the past: now. */
    assert_int_equal(fetch_parse_retry_after("Sun, 01 Nov 2026 00:00:00 "
                                             "GMT", now), 0);
    assert_int_equal(fetch_parse_retry_after("soon", now), -1);
    assert_int_equal(fetch_parse_retry_after("12abc", now), -1);
    assert_int_equal(fetch_parse_retry_after("-5", now), -1);
    assert_int_equal(fetch_parse_retry_after("999999999999999999999", now),
                     -1);
}

static void
test_max_age(void **state)
{
    (void)state;
    assert_int_equal(fetch_parse_max_age("max-age=600"), 600);
    assert_int_equal(fetch_parse_max_age("public, max-age=3600, "
                                         "must-revalidate"), 3600);
    assert_int_equal(fetch_parse_max_age("Max-Age=\"90\""), 90);
    assert_int_equal(fetch_parse_max_age("s-maxage=10"), -1);
    assert_int_equal(fetch_parse_max_age("no-cache"), 0);
    assert_int_equal(fetch_parse_max_age("no-store, max-age=60"), 60);
    assert_int_equal(fetch_parse_max_age("private"), -1);
    assert_int_equal(fetch_parse_max_age(""), -1);
    assert_int_equal(fetch_parse_max_age("max-age="), -1);
}

static void
test_url_host(void **state)
{
    char h[64];
    (void)state;
    assert_int_equal(fetch_url_host("https://Example.ORG:8443/a?b", h,
                                    sizeof h), CUR_OK);
    assert_string_equal(h, "example.org");
    assert_int_equal(fetch_url_host("http://[::1]:80/", h, sizeof h),
                     CUR_OK);
    assert_string_equal(h, "[::1]");
    assert_int_equal(fetch_url_host("file:///tmp/x.xml", h, sizeof h),
                     CUR_OK);
    assert_string_equal(h, "");
    assert_int_equal(fetch_url_host("not a url", h, sizeof h), CUR_EINVAL);
    assert_int_equal(fetch_url_host("http://a-very-long-host-name-that-"
                                    "does-not-fit-in-the-buffer.example."
                                    "org/", h, 16), CUR_EINVAL);
}

static void
test_file_fetch(void **state)
{
    struct fetch_cfg cfg = { .timeout = 5, .max_body = 1024 };
    struct fetch_reply r;
    char *dir = t_mkdtemp(), *path, *url, big[3000];
    (void)state;

    assert_non_null(dir);
    path = t_write_file(dir, "f.xml", "<rss version=\"2.0\"/>");
    assert_true(asprintf(&url, "file://%s", path) > 0);

    /* An admin's file:// feed. */
    assert_int_equal(fetch_url(&cfg, url, 1, 0, &r), CUR_OK);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "<rss version=\"2.0\"/>");
    assert_int_equal(r.len, 20);
    fetch_reply_free(&r);
    /* Not for a web feed, and never another scheme. */
    assert_int_equal(fetch_url(&cfg, url, 0, 1, &r), CUR_EINVAL);
    assert_string_equal(r.error, "not an http or https URL");
    fetch_reply_free(&r);
    assert_int_equal(fetch_url(&cfg, "ftp://example.org/x", 1, 0, &r),
                     CUR_EINVAL);
    fetch_reply_free(&r);
    assert_int_equal(fetch_url(&cfg, "gopher://example.org/x", 1, 0, &r),
                     CUR_EINVAL);
    fetch_reply_free(&r);
    /* A missing file. */
    char *missing;
    assert_true(asprintf(&missing, "file://%s/missing.xml", dir) > 0);
    assert_int_equal(fetch_url(&cfg, missing, 1, 0, &r), CUR_EFETCH);
    assert_int_equal(r.status, 0);
    assert_true(r.error[0] != '\0');
    assert_null(r.body);
    fetch_reply_free(&r);
    /* Over the body cap: stopped, and said so. */
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    free(t_write_file(dir, "big.xml", big));
    char *big_url;
    assert_true(asprintf(&big_url, "file://%s/big.xml", dir) > 0);
    assert_int_equal(fetch_url(&cfg, big_url, 1, 0, &r), CUR_ETOOBIG);
    assert_string_equal(r.error, "body larger than 1024 bytes");
    assert_null(r.body);
    fetch_reply_free(&r);

    t_rmtree(dir);
    free(big_url);
    free(missing);
    free(url);
    free(path);
    free(dir);
}

/* The loop: several requests at once, each done exactly once. */
struct count {
    int done;
    int ok;
};

static void
count_done(void *ctx, const struct fetch_result *res)
{
    struct count *c = ctx;
    c->done++;
    c->ok += res->rc == CUR_OK && res->status == 200;
}

static void
test_loop(void **state)
{
    struct fetch_cfg cfg = { .timeout = 5, .max_body = 1 << 20,
                             .max_connections = 2,
                             .max_host_connections = 1 };
    struct fetch *f;
    struct count c = { 0 };
    char *dir = t_mkdtemp(), *path, *url;
    (void)state;

    path = t_write_file(dir, "a.xml", "<rss/>");
    assert_true(asprintf(&url, "file://%s", path) > 0);
    assert_int_equal(fetch_new(&cfg, &f), CUR_OK);
    struct fetch_req rq = { .url = url, .allow_file = 1,
                            .on_done = count_done, .ctx = &c };
    for (int i = 0; i < 10; i++)
        assert_int_equal(fetch_add(f, &rq), CUR_OK);
    assert_int_equal(fetch_active(f), 10);
    while (fetch_active(f) > 0)
        assert_int_equal(fetch_run(f, 100), CUR_OK);
    assert_int_equal(c.done, 10);
    assert_int_equal(c.ok, 10);
    /* Freed with transfers in flight: no callback, no leak. */
    for (int i = 0; i < 3; i++)
        assert_int_equal(fetch_add(f, &rq), CUR_OK);
    fetch_free(f);
    assert_int_equal(c.done, 10);
    t_rmtree(dir);
    free(url);
    free(path);
    free(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refused_addresses),
        cmocka_unit_test(test_retry_after),
        cmocka_unit_test(test_max_age),
        cmocka_unit_test(test_url_host),
        cmocka_unit_test(test_file_fetch),
        cmocka_unit_test(test_loop),
    };
    fetch_global_init();
    int rc = cmocka_run_group_tests_name("unit: fetch", tests, NULL, NULL);
    fetch_global_cleanup();
    return rc;
}
