/* libFuzzer target for curator/date.c.
 *
 * The input is a date string. date_parse() must never crash, must leave
 * its output alone when it refuses, and must give a time within the
 * range date.h promises; that time formats back to RFC 3339 and parses
 * again to the same value, and white space around the input changes
 * nothing. date_parse_duration() gets the same bytes and must give a
 * non-negative number of seconds or leave its output alone. The first
 * eight bytes, read as a number, go through date_format(), which must
 * give either "?" or a time that parses back. Any failure aborts with
 * the input printed.
 */
#include "date.h"
#include "err.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TIME_MAX 253402300799LL     /* 9999-12-31T23:59:59Z */
#define UNTOUCHED (-12345LL)

static void
die(const char *what, const char *in, long long a, long long b)
{
    fprintf(stderr, "fuzz_date: %s\n input: [%s]\n values: %lld %lld\n",
            what, in, a, b);
    abort();
}

/* The 20 characters "YYYY-MM-DDTHH:MM:SSZ", digits where digits go. */
static int
rfc3339_shape(const char *s)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
    if (strlen(s) != sizeof shape - 1)
        return 0;
    for (size_t i = 0; shape[i]; i++) {
        if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
            return 0;
    }
    return 1;
}

/* t formats to RFC 3339 and reads back as t. */
static void
round_trip(const char *in, long long t)
{
    char buf[32];
    long long back = UNTOUCHED;

    date_format(t, buf, sizeof buf);
    if (!rfc3339_shape(buf))
        die("date_format gave no RFC 3339 time", in, t, 0);
    if (date_parse(buf, &back) != CUR_OK || back != t)
        die("formatted time does not parse back", in, t, back);
}

static void
check_date(const char *in, size_t len)
{
    long long t = UNTOUCHED;
    int rc = date_parse(in, &t);

    if (rc != CUR_OK) {
        if (rc != CUR_EINVAL || t != UNTOUCHED)
            die("refusal returned another code or changed the output", in,
                rc, t);
    } else {
        if (t < 0 || t > TIME_MAX)
            die("time out of range", in, t, 0);
        round_trip(in, t);
    }

    /* Surrounding white space is ignored. */
    char *padded = malloc(len + 5);
    if (padded == NULL)
        return;
    padded[0] = ' ';
    padded[1] = '\t';
    memcpy(padded + 2, in, len);
    memcpy(padded + 2 + len, "\r\n", 3);
    long long u = UNTOUCHED;
    int rc2 = date_parse(padded, &u);
    /* date.h: the length limit applies after trimming, so the padded
     * form must give exactly the same answer. */
    if (rc2 != rc || u != t)
        die("white space around the date changed the result", padded, t,
            u);
    free(padded);
}

static void
check_duration(const char *in)
{
    long long s = UNTOUCHED;
    int rc = date_parse_duration(in, &s);

    if (rc == CUR_OK && s < 0)
        die("negative duration", in, s, 0);
    if (rc != CUR_OK && (rc != CUR_EINVAL || s != UNTOUCHED))
        die("refused duration returned another code or changed the output",
            in, rc, s);
}

static void
check_format(const uint8_t *data, size_t size, const char *in)
{
    long long t;
    char buf[32], small[8];

    if (size < 8)
        return;
    memcpy(&t, data, 8);
    date_format(t, buf, sizeof buf);
    if (t >= 0 && t <= TIME_MAX)
        round_trip(in, t);
    else if (strcmp(buf, "?") != 0 && !rfc3339_shape(buf))
        die("date_format out of range gave neither '?' nor a time", in, t,
            0);
    /* Too short a buffer: "?" cut to fit, never an overflow. */
    date_format(t, small, sizeof small);
    if (strcmp(small, "?") != 0)
        die("date_format into a short buffer did not give '?'", in, t, 0);
    date_format(t, small, 1);
    if (small[0] != '\0')
        die("date_format into one byte did not give ''", in, t, 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = malloc(size + 1);
    if (in == NULL)
        return 0;
    memcpy(in, data, size);
    in[size] = '\0';
    /* A NUL ends the date as C sees it. */
    size_t len = strlen(in);

    check_date(in, len);
    check_duration(in);
    check_format(data, size, in);
    free(in);
    return 0;
}
