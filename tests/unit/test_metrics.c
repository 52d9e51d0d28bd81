/* Unit tests for curator/metrics.c: counters land in the right series,
 * the histogram is cumulative, hostile route names become "other", and
 * the gauges come from a real store. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "metrics.h"
#include "store.h"

static char *
render(struct store *st)
{
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(metrics_render(st, &b), CUR_OK);
    assert_int_equal(buf_puts(&b, ""), CUR_OK);
    return buf_steal(&b);
}

static void
has(const char *text, const char *line)
{
    if (strstr(text, line) == NULL)
        fail_msg("missing '%s' in:\n%s", line, text);
}

static void
test_counters_and_histogram(void **state)
{
    (void)state;
    metrics_reset();
    metrics_poll(200, 1000, 3);
    metrics_poll(304, 0, 0);
    metrics_poll(0, 0, 0);
    metrics_poll(503, 10, 0);
    metrics_scored(0.003, 10);
    metrics_scored(2.0, 5);
    metrics_mail(2, 1);
    char *t = render(NULL);
    has(t, "curator_polls_total{status=\"2xx\"} 1\n");
    has(t, "curator_polls_total{status=\"304\"} 1\n");
    has(t, "curator_polls_total{status=\"error\"} 1\n");
    has(t, "curator_polls_total{status=\"5xx\"} 1\n");
    has(t, "curator_fetched_bytes_total 1010\n");
    has(t, "curator_items_new_total 3\n");
    has(t, "curator_scoring_seconds_bucket{le=\"0.001\"} 0\n");
    has(t, "curator_scoring_seconds_bucket{le=\"0.005\"} 1\n");
    has(t, "curator_scoring_seconds_bucket{le=\"1\"} 1\n");
    has(t, "curator_scoring_seconds_bucket{le=\"5\"} 2\n");
    has(t, "curator_scoring_seconds_bucket{le=\"+Inf\"} 2\n");
    has(t, "curator_scoring_seconds_count 2\n");
    has(t, "curator_items_scored_total 15\n");
    has(t, "curator_digests_total{result=\"sent\"} 2\n");
    has(t, "curator_digests_total{result=\"failed\"} 1\n");
    has(t, "# TYPE curator_scoring_seconds histogram\n");
    free(t);
}

static void
test_http_routes(void **state)
{
    (void)state;
    metrics_reset();
    metrics_http("today", 200);
    metrics_http("today", 200);
    metrics_http("today", 418);
    metrics_http("evil\"} 1\ncurator_x{a=\"", 200);
    metrics_http(NULL, 404);
    char *t = render(NULL);
    has(t, "curator_http_requests_total{route=\"today\",status=\"200\"} 2\n");
    has(t, "curator_http_requests_total{route=\"today\",status=\"other\"} "
           "1\n");
    has(t, "curator_http_requests_total{route=\"other\",status=\"200\"} 1\n");
    has(t, "curator_http_requests_total{route=\"other\",status=\"404\"} 1\n");
    assert_null(strstr(t, "evil"));
    assert_null(strstr(t, "curator_x"));
    free(t);
}

static void
test_store_gauges(void **state)
{
    struct store *st;
    long long id;
    (void)state;
    log_open(NULL, LOG_ERR);
    assert_int_equal(store_open(":memory:", &st), CUR_OK);
    assert_int_equal(store_feed_add(st, "https://a.example/f", "cli", &id),
                     CUR_OK);
    char *t = render(st);
    has(t, "curator_feeds{state=\"never_polled\"} 1\n");
    has(t, "curator_feeds{state=\"ok\"} 0\n");
    has(t, "curator_outbox{status=\"queued\"} 0\n");
    free(t);
    store_close(st);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counters_and_histogram),
        cmocka_unit_test(test_http_routes),
        cmocka_unit_test(test_store_gauges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
