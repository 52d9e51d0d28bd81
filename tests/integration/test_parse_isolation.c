/* Integration: parsing hostile documents opens no file and no socket
 * (SECURITY.md PARSE-3) and the entity loader refuses everything
 * (PARSE-4). The real `curator parse` runs under strace while a listener
 * on 127.0.0.1 waits for a connection that must never come. */
#define _GNU_SOURCE     /* asprintf */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "err.h"
#include "parse.h"
#include "support.h"

/* A listening socket on 127.0.0.1; *port gets its port. */
static int
listener(unsigned *port)
{
    struct sockaddr_in a = { .sin_family = AF_INET };
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 8), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static int
had_connection(int fd)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    return poll(&p, 1, 200) > 0;
}

static void
test_parse_touches_nothing(void **state)
{
    (void)state;
    unsigned port;
    int lfd = listener(&port);
    char *dir = t_mkdtemp();
    char secret[1024], docs[4][4096];
    assert_non_null(dir);
    snprintf(secret, sizeof secret, "%s/secret.txt", dir);
    free(t_write_file(dir, "secret.txt", "do not read me\n"));

    snprintf(docs[0], sizeof docs[0],
             "<?xml version=\"1.0\"?>\n<!DOCTYPE rss SYSTEM "
             "\"http://127.0.0.1:%u/rss.dtd\">\n<rss version=\"2.0\">"
             "<channel><title>dtd</title></channel></rss>\n", port);
    snprintf(docs[1], sizeof docs[1],
             "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [<!ENTITY x SYSTEM "
             "\"file://%s\">]>\n<rss version=\"2.0\"><channel><title>&x;"
             "</title></channel></rss>\n", secret);
    snprintf(docs[2], sizeof docs[2],
             "<?xml version=\"1.0\"?>\n<?xml-stylesheet type=\"text/xsl\" "
             "href=\"http://127.0.0.1:%u/style.xsl\"?>\n<rss version=\"2.0\">"
             "<channel><title>xsl</title></channel></rss>\n", port);
    snprintf(docs[3], sizeof docs[3],
             "<?xml version=\"1.0\"?>\n<rss version=\"2.0\" "
             "xmlns:xi=\"http://www.w3.org/2001/XInclude\"><channel>"
             "<title>xi</title><xi:include href=\"http://127.0.0.1:%u/x\"/>"
             "<xi:include href=\"file://%s\" parse=\"text\"/>"
             "</channel></rss>\n", port, secret);

    for (int i = 0; i < 4; i++) {
        char name[32], curator[4096], *trace, *out = NULL, *err = NULL;
        snprintf(name, sizeof name, "doc%d.xml", i);
        char *doc = t_write_file(dir, name, docs[i]);
        assert_true(asprintf(&trace, "%s/trace%d", dir, i) > 0);
        snprintf(curator, sizeof curator, "%s/curator", t_build_dir());
        char *argv[] = { "/usr/bin/strace", "-f", "-qq", "-o", trace,
                         "-e", "trace=%network,open,openat,execve",
                         curator, "parse", doc, NULL };
        int rc = t_run(argv, &out, &err);
        assert_true(rc == 0 || rc == 1);
        char *log = t_read_file(trace, NULL);
        assert_non_null(log);
        /* No socket at all, and no file but the document itself (and the
         * shared libraries and locale data the loader opens). */
        assert_null(strstr(log, "socket("));
        assert_null(strstr(log, "connect("));
        assert_null(strstr(log, "secret.txt"));
        assert_null(strstr(log, ".dtd"));
        assert_null(strstr(log, ".xsl"));
        assert_false(had_connection(lfd));
        free(log);
        free(trace);
        free(doc);
        free(out);
        free(err);
    }
    close(lfd);
    t_rmtree(dir);
    free(dir);
}

static void
test_entity_loader_refuses(void **state)
{
    (void)state;
    unsigned port;
    int lfd = listener(&port);
    struct feed *f = NULL;
    char url[128];

    /* A parse installs the loader; after it, every URL is refused. */
    const char doc[] = "<rss version=\"2.0\"><channel><title>t</title>"
                       "</channel></rss>";
    assert_int_equal(parse_feed(doc, sizeof doc - 1, NULL, &f, NULL, 0),
                     CUR_OK);
    feed_free(f);
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    assert_null(xmlLoadExternalEntity("file:///etc/passwd", NULL, ctxt));
    snprintf(url, sizeof url, "http://127.0.0.1:%u/x.dtd", port);
    assert_null(xmlLoadExternalEntity(url, NULL, ctxt));
    xmlFreeParserCtxt(ctxt);
    assert_false(had_connection(lfd));
    close(lfd);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_touches_nothing),
        cmocka_unit_test(test_entity_loader_refuses),
    };
    return cmocka_run_group_tests_name("integration: parse isolation",
                                       tests, NULL, NULL);
}
