/* Unit tests for curator/digest_time.c: digest periods and send times in
 * real time zones, through spring-forward gaps and fall-back overlaps,
 * odd offsets, a skipped calendar day, ISO week keys, the digest_due
 * rule (restarts, downtime, clock jumps), and refused zones and
 * schedules.
 *
 * Every expected instant is worked out by hand in a comment. The anchors:
 * 2026-01-01T00:00Z is day 20454 since the epoch (56 years, 14 of them
 * leap) = 1767225600, a Thursday; day N of 2026 (0-based) is
 * 1767225600 + N * 86400. Rules used: London GMT (+0) / BST (+1) from
 * 01:00Z on the last Sunday of March to 01:00Z on the last Sunday of
 * October; New York EST (-5) / EDT (-4) from 02:00 local on the second
 * Sunday of March to 02:00 local on the first Sunday of November. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "digest_time.h"
#include "err.h"

#define H 3600LL
#define DAY 86400LL

/* Midnight UTC of some 2026 dates (0-based day of year in brackets). */
#define MAR07 1772841600LL   /* [65]  */
#define MAR08 1772928000LL   /* [66]  second Sunday of March */
#define MAR22 1774137600LL   /* [80]  */
#define MAR28 1774656000LL   /* [86]  */
#define MAR29 1774742400LL   /* [87]  last Sunday of March */
#define APR05 1775347200LL   /* [94]  first Sunday of April */
#define JUL01 1782864000LL   /* [181] */
#define OCT04 1791072000LL   /* [276] first Sunday of October */
#define OCT25 1792886400LL   /* [297] last Sunday of October */
#define NOV01 1793491200LL   /* [304] first Sunday of November */
#define NOV29 1795910400LL   /* [332] a Sunday */

static const struct digest_when london1 = { 0, 0, 1, "Europe/London" };
static const struct digest_when nyc2 = { 0, 0, 2, "America/New_York" };

/* The period holding t, checked against start, end and key. */
static void
check_period(const struct digest_when *w, long long t, long long start,
             long long end, const char *key)
{
    long long s = -1, e = -1, next = -1;
    char k[DIGEST_KEY_LEN];

    assert_int_equal(digest_period(w, t, &s, &e, k, sizeof k), CUR_OK);
    assert_int_equal(s, start);
    assert_int_equal(e, end);
    assert_string_equal(k, key);
    assert_int_equal(digest_next_send(w, t, &next), CUR_OK);
    assert_int_equal(next, end);
}

/* Every minute of [start, end) maps to that period and key, and the
 * instants either side do not. */
static void
check_whole_period(const struct digest_when *w, long long start,
                   long long end, const char *key)
{
    char k[DIGEST_KEY_LEN];
    long long s, e;

    for (long long t = start; t < end; t += 60)
        check_period(w, t, start, end, key);
    check_period(w, end - 1, start, end, key);
    assert_int_equal(digest_period(w, start - 1, &s, &e, k, sizeof k),
                     CUR_OK);
    assert_int_equal(e, start);
    assert_string_not_equal(k, key);
    assert_int_equal(digest_period(w, end, &s, &e, k, sizeof k), CUR_OK);
    assert_int_equal(s, end);
    assert_string_not_equal(k, key);
}

static void
test_ordinary_days(void **state)
{
    (void)state;
    struct digest_when w = { 0, 0, 8, "Europe/London" };

    /* 29 November, GMT: 08:00 local = 08:00Z. At 12:00Z the period began
     * that morning; at 07:59:59Z it is still the 28th's. */
    check_period(&w, NOV29 + 12 * H, NOV29 + 8 * H, NOV29 + DAY + 8 * H,
                 "2026-11-29");
    check_period(&w, NOV29 + 8 * H - 1, NOV29 - DAY + 8 * H, NOV29 + 8 * H,
                 "2026-11-28");
    /* Exactly at the send time: the new period. */
    check_period(&w, NOV29 + 8 * H, NOV29 + 8 * H, NOV29 + DAY + 8 * H,
                 "2026-11-29");
    /* 1 July, BST: 08:00 local = 07:00Z. */
    check_period(&w, JUL01 + 12 * H, JUL01 + 7 * H, JUL01 + DAY + 7 * H,
                 "2026-07-01");

    /* New York in November (EST): 08:00 local = 13:00Z. At 05:00Z on the
     * 29th it is 00:00 local, before the send: the 28th's period. */
    w.tz = "America/New_York";
    check_period(&w, NOV29 + 5 * H, NOV29 - DAY + 13 * H, NOV29 + 13 * H,
                 "2026-11-28");
    /* In July (EDT): 08:00 local = 12:00Z. */
    check_period(&w, JUL01 + 12 * H, JUL01 + 12 * H, JUL01 + DAY + 12 * H,
                 "2026-07-01");
    /* hour 23 in New York: the 29th's 23:00 EST is 04:00Z on the 30th,
     * a different UTC date from the key's. */
    w.hour = 23;
    check_period(&w, NOV29 + DAY + 5 * H, NOV29 + DAY + 4 * H,
                 NOV29 + 2 * DAY + 4 * H, "2026-11-29");
    /* hour 0: midnight local. */
    w.hour = 0;
    check_whole_period(&w, NOV29 + 5 * H, NOV29 + DAY + 5 * H,
                       "2026-11-29");
}

static void
test_spring_forward_london(void **state)
{
    (void)state;
    struct digest_when w = london1;

    /* hour 1 on 2026-03-29: 01:00 local does not exist (01:00 GMT jumps
     * to 02:00 BST, at 01:00Z). The send is at 02:00 BST = 01:00Z, which
     * is also where 01:00 GMT would have been: the 28th's period (from
     * 01:00 GMT = 01:00Z) lasts 24 h, the 29th's (to 01:00 BST on the
     * 30th = 00:00Z) 23 h. */
    check_whole_period(&w, MAR28 + 1 * H, MAR29 + 1 * H, "2026-03-28");
    check_whole_period(&w, MAR29 + 1 * H, MAR29 + DAY, "2026-03-29");
    /* In the middle of the gap day, before the send (00:30Z = 00:30
     * GMT). */
    check_period(&w, MAR29 + 30 * 60, MAR28 + 1 * H, MAR29 + 1 * H,
                 "2026-03-28");

    /* hour 2, just after the gap: 02:00 BST = 01:00Z, the same instant;
     * the 28th's 02:00 GMT = 02:00Z, so that period is 23 h. */
    w.hour = 2;
    check_whole_period(&w, MAR28 + 2 * H, MAR29 + 1 * H, "2026-03-28");
    /* hour 3: 03:00 BST = 02:00Z; 23 h after 03:00 GMT on the 28th. */
    w.hour = 3;
    check_period(&w, MAR29 + 12 * H, MAR29 + 2 * H, MAR29 + DAY + 2 * H,
                 "2026-03-29");
    check_period(&w, MAR29 + 1 * H, MAR28 + 3 * H, MAR29 + 2 * H,
                 "2026-03-28");
}

static void
test_spring_forward_new_york(void **state)
{
    (void)state;
    struct digest_when w = nyc2;

    /* hour 2 on 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00Z), so
     * 02:00 does not exist; the send is at 03:00 EDT = 07:00Z. The 7th's
     * send is 02:00 EST = 07:00Z, the 9th's 02:00 EDT = 06:00Z: 24 h
     * then 23 h. */
    check_whole_period(&w, MAR07 + 7 * H, MAR08 + 7 * H, "2026-03-07");
    check_whole_period(&w, MAR08 + 7 * H, MAR08 + DAY + 6 * H,
                       "2026-03-08");
    /* hour 3, just after the gap: 03:00 EDT = 07:00Z too; the 7th's
     * 03:00 EST = 08:00Z, so 23 h. */
    w.hour = 3;
    check_period(&w, MAR08 + 7 * H, MAR08 + 7 * H, MAR08 + DAY + 7 * H,
                 "2026-03-08");
    check_period(&w, MAR08 + 7 * H - 1, MAR07 + 8 * H, MAR08 + 7 * H,
                 "2026-03-07");
}

static void
test_fall_back_london(void **state)
{
    (void)state;
    struct digest_when w = london1;

    /* hour 1 on 2026-10-25: 01:00 BST (00:00Z) comes first; at 01:00Z
     * (02:00 BST) clocks go back to 01:00 GMT, so 01:00 happens again.
     * Send at the first, 00:00Z. The 24th's send is 01:00 BST = 00:00Z
     * on the 24th; the 26th's 01:00 GMT = 01:00Z: periods of 24 h and
     * 25 h. */
    check_whole_period(&w, OCT25 - DAY, OCT25, "2026-10-24");
    check_whole_period(&w, OCT25, OCT25 + DAY + 1 * H, "2026-10-25");
    /* The second 01:00 (01:00Z) is inside the period the first began:
     * no second send. */
    check_period(&w, OCT25 + 1 * H, OCT25, OCT25 + DAY + 1 * H,
                 "2026-10-25");
}

static void
test_fall_back_new_york(void **state)
{
    (void)state;
    struct digest_when w = { 0, 0, 1, "America/New_York" };

    /* hour 1 on 2026-11-01: 01:00 EDT (05:00Z) first, then at 06:00Z
     * clocks go back to 01:00 EST. Send at 05:00Z. The 31 Oct send is
     * 01:00 EDT = 05:00Z, the 2 Nov one 01:00 EST = 06:00Z. */
    check_whole_period(&w, NOV01 - DAY + 5 * H, NOV01 + 5 * H,
                       "2026-10-31");
    check_whole_period(&w, NOV01 + 5 * H, NOV01 + DAY + 6 * H,
                       "2026-11-01");
    /* 01:30 EST, the second 01:30: the same period. */
    check_period(&w, NOV01 + 6 * H + 1800, NOV01 + 5 * H,
                 NOV01 + DAY + 6 * H, "2026-11-01");
}

/* Run a daemon that ticks every 'tick' seconds over [from, to), sending
 * whenever digest_due says so; check the sends against want[]. */
static void
simulate(const struct digest_when *w, long long from, long long to,
         long long tick, const long long *want, size_t n_want,
         const char *const *keys)
{
    long long last = 0, ps;
    size_t sent = 0;
    char key[DIGEST_KEY_LEN], prev[DIGEST_KEY_LEN] = "";
    int due;

    for (long long t = from; t < to; t += tick) {
        assert_int_equal(digest_due(w, last, t, &due, &ps, key, sizeof key),
                         CUR_OK);
        if (!due)
            continue;
        assert_true(sent < n_want);
        assert_int_equal(ps, want[sent]);
        assert_string_equal(key, keys[sent]);
        /* Each key once, in order. */
        assert_true(strcmp(prev, key) < 0);
        memcpy(prev, key, sizeof key);
        last = ps;
        sent++;
    }
    assert_int_equal(sent, n_want);
}

static void
test_simulated_days_across_changes(void **state)
{
    (void)state;
    /* London hour 1, a minute tick from 23 Oct to 27 Oct 12:00Z: sends
     * at 00:00Z on the 23rd's period (already running at the start:
     * never sent, so due), 24th and 25th (01:00 BST), then 01:00Z on the
     * 26th and 27th (01:00 GMT). One send on the 25th despite two
     * 01:00s. */
    static const long long fall[] = {
        OCT25 - 2 * DAY, OCT25 - DAY, OCT25, OCT25 + DAY + H,
        OCT25 + 2 * DAY + H,
    };
    static const char *const fall_keys[] = {
        "2026-10-23", "2026-10-24", "2026-10-25", "2026-10-26",
        "2026-10-27",
    };
    simulate(&london1, OCT25 - 2 * DAY + 12 * H, OCT25 + 2 * DAY + 12 * H,
             60, fall, 5, fall_keys);

    /* New York hour 2 around the gap, a 7-minute tick (so sends are
     * seen late, within the period): 7th at 07:00Z (EST), 8th at 07:00Z
     * (03:00 EDT), 9th at 06:00Z (EDT). */
    static const long long spring[] = {
        MAR07 + 7 * H, MAR08 + 7 * H, MAR08 + DAY + 6 * H,
    };
    static const char *const spring_keys[] = {
        "2026-03-07", "2026-03-08", "2026-03-09",
    };
    simulate(&nyc2, MAR07 + 8 * H, MAR08 + DAY + 12 * H, 420, spring, 3,
             spring_keys);
}

static void
test_weekly(void **state)
{
    (void)state;
    /* Sundays 09:00 London. 22 March 09:00 GMT = 09:00Z; 29 March 09:00
     * BST = 08:00Z: 167 h. 22 March is day 80 of 2026, 83 days after
     * Monday 29 Dec 2025 (the start of ISO week 1, which holds Thursday
     * 1 Jan): week 83 / 7 + 1 = 12. */
    struct digest_when w = { 1, 0, 9, "Europe/London" };
    long long s, e;
    char k[DIGEST_KEY_LEN];

    check_period(&w, MAR22 + 9 * H, MAR22 + 9 * H, MAR29 + 8 * H,
                 "2026-W12");
    assert_int_equal(digest_period(&w, MAR22 + 3 * DAY, &s, &e, k,
                                   sizeof k), CUR_OK);
    assert_int_equal(e - s, 167 * H);
    assert_string_equal(k, "2026-W12");
    /* One second before: the previous week's, W11. */
    assert_int_equal(digest_period(&w, MAR22 + 9 * H - 1, &s, &e, k,
                                   sizeof k), CUR_OK);
    assert_int_equal(s, MAR22 - 7 * DAY + 9 * H);
    assert_string_equal(k, "2026-W11");

    /* Sundays 09:00 New York: 25 Oct 09:00 EDT = 13:00Z; 1 Nov 09:00
     * EST = 14:00Z: 169 h. 25 Oct is day 297; (297 + 3) / 7 + 1 = 43.
     * The key holds all week, e.g. on Wednesday 28 Oct. */
    w.tz = "America/New_York";
    check_period(&w, OCT25 + 3 * DAY, OCT25 + 13 * H, NOV01 + 14 * H,
                 "2026-W43");
    assert_int_equal(NOV01 + 14 * H - (OCT25 + 13 * H), 169 * H);
    /* 29 Nov 2026 (day 332; (332 + 3) / 7 + 1 = 48). */
    check_period(&w, NOV29 + 15 * H, NOV29 + 14 * H, NOV29 + 7 * DAY + 14 * H,
                 "2026-W48");

    /* Mondays 06:00 UTC: Monday 30 Dec 2024 is in ISO week 1 of 2025
     * (its Thursday is 2 Jan 2025). 2025-01-01 is day 20089 =
     * 1735689600, so 30 Dec 2024 = 1735516800. */
    struct digest_when m = { 1, 1, 6, "UTC" };
    check_period(&m, 1735516800LL + 6 * H, 1735516800LL + 6 * H,
                 1735516800LL + 7 * DAY + 6 * H, "2025-W01");
    /* Fridays 06:00 UTC: Friday 1 Jan 2027 (1767225600 + 365 days =
     * 1798761600) is in week 53 of 2026 (2026 starts on a Thursday). */
    m.weekday = 5;
    check_period(&m, 1798761600LL + 7 * H, 1798761600LL + 6 * H,
                 1798761600LL + 7 * DAY + 6 * H, "2026-W53");
    /* Monday 28 Dec 2026, day 361: (361 + 3) / 7 + 1 = 53 as well. */
    m.weekday = 1;
    check_period(&m, 1798761600LL, 1798761600LL - 4 * DAY + 6 * H,
                 1798761600LL + 3 * DAY + 6 * H, "2026-W53");
    /* Saturdays (weekday 6) 23:00 UTC, asked on Sunday 29 Nov: the day
     * before, 23:00. */
    m.weekday = 6;
    m.hour = 23;
    check_period(&m, NOV29 + H, NOV29 - H, NOV29 + 7 * DAY - H,
                 "2026-W48");
}

static void
test_odd_offsets(void **state)
{
    (void)state;
    /* Asia/Kolkata, +05:30 all year: 07:00 IST = 01:30Z; 03:00 IST on
     * the 29th = 21:30Z on the 28th. */
    struct digest_when w = { 0, 0, 7, "Asia/Kolkata" };
    check_period(&w, NOV29 + 12 * H, NOV29 + 5400, NOV29 + DAY + 5400,
                 "2026-11-29");
    w.hour = 3;
    check_period(&w, NOV29, NOV29 - 9000, NOV29 + DAY - 9000,
                 "2026-11-29");

    /* Pacific/Chatham, +12:45, +13:45 in its summer (last Sunday of
     * September to first Sunday of April). 08:00 on 29 Nov (+13:45) =
     * 18:15Z on the 28th; 08:00 on 1 July (+12:45) = 19:15Z on 30 June. */
    w.tz = "Pacific/Chatham";
    w.hour = 8;
    check_period(&w, NOV29, NOV29 - 5 * H - 45 * 60,
                 NOV29 + DAY - 5 * H - 45 * 60, "2026-11-29");
    check_period(&w, JUL01, JUL01 - 4 * H - 45 * 60,
                 JUL01 + DAY - 4 * H - 45 * 60, "2026-07-01");

    /* Australia/Lord_Howe: +10:30, +11 in summer, moving by 30 minutes.
     * First Sunday of October 2026 (4 Oct): 02:00 jumps to 02:30. hour 2
     * falls in the gap: the send is 02:30 +11 = 15:30Z on the 3rd, which
     * is also 02:00 +10:30. The 3rd's 02:00 +10:30 = 15:30Z on the 2nd;
     * the 5th's 02:00 +11 = 15:00Z on the 4th: 24 h, then 23.5 h. */
    w.tz = "Australia/Lord_Howe";
    w.hour = 2;
    check_period(&w, OCT04 - 12 * H, OCT04 - DAY - 8 * H - 1800,
                 OCT04 - 8 * H - 1800, "2026-10-03");
    check_whole_period(&w, OCT04 - 8 * H - 1800, OCT04 + 15 * H,
                       "2026-10-04");
    /* First Sunday of April 2026 (5 Apr): 02:00 +11 goes back to 01:30
     * +10:30. 01:00 happens once, at +11 = 14:00Z on the 4th; the 6th's
     * 01:00 +10:30 = 14:30Z on the 5th: 24.5 h. */
    w.hour = 1;
    check_period(&w, APR05, APR05 - 10 * H, APR05 + 14 * H + 1800,
                 "2026-04-05");
}

static void
test_utc_and_aliases(void **state)
{
    (void)state;
    struct digest_when w = { 0, 0, 0, "UTC" };

    check_whole_period(&w, NOV29, NOV29 + DAY, "2026-11-29");
    w.tz = "Etc/UTC";
    check_period(&w, NOV29 + 1, NOV29, NOV29 + DAY, "2026-11-29");
    /* An alias opens its zone: US/Eastern is New York (EST, -5). */
    w.tz = "US/Eastern";
    w.hour = 8;
    check_period(&w, NOV29 + 14 * H, NOV29 + 13 * H, NOV29 + DAY + 13 * H,
                 "2026-11-29");
    /* The epoch itself: 1970-01-01T00:00Z is 19:00 on 31 Dec 1969 in
     * New York (-5), so the period began at 08:00 EST = 13:00Z that
     * day. */
    check_period(&w, 0, 13 * H - DAY, 13 * H, "1969-12-31");
    /* The last instant accepted, 9999-12-01T00:00Z, in UTC hour 0. */
    w.tz = "UTC";
    w.hour = 0;
    check_period(&w, DIGEST_T_MAX, DIGEST_T_MAX, DIGEST_T_MAX + DAY,
                 "9999-12-01");
}

static void
test_unusual_transitions(void **state)
{
    (void)state;
    /* Antarctica/Troll goes from +00 to +02 at 01:00Z on 2026-03-29:
     * local 01:00 jumps to 03:00, a two-hour gap. hour 2 is inside it:
     * the send is at the jump, 03:00 +02 = 01:00Z (not 02:00 +00 =
     * 02:00Z, nor 02:00 +02 = 00:00Z). The 28th's 02:00 +00 = 02:00Z,
     * so that period is 23 h. */
    struct digest_when w = { 0, 0, 2, "Antarctica/Troll" };
    check_whole_period(&w, MAR28 + 2 * H, MAR29 + 1 * H, "2026-03-28");
    check_period(&w, MAR29 + 1 * H, MAR29 + 1 * H, MAR29 + DAY,
                 "2026-03-29");

    /* Antarctica/Casey went from +11 to +08 at 2010-03-04T15:00Z: local
     * 02:00 on the 5th back to 23:00 on the 4th, so 23:00 on the 4th to
     * 02:00 on the 5th happened twice, across midnight. 5 March 2010
     * 00:00Z is 1267747200 (2010-01-01 = 1262304000, day 63). hour 0:
     * the 5th's first midnight is 00:00 +11 = 13:00Z on the 4th; the
     * 6th's is 00:00 +08 = 16:00Z on the 5th (a 27 h period). At 15:30Z
     * the local date is the 4th again (23:30 +08), yet the 5th's send
     * has already happened: the period is still the 5th's. */
    long long m5 = 1267747200LL;
    w.tz = "Antarctica/Casey";
    w.hour = 0;
    check_whole_period(&w, m5 - 11 * H, m5 + 16 * H, "2010-03-05");
    check_period(&w, m5 - 11 * H - 1, m5 - DAY - 11 * H, m5 - 11 * H,
                 "2010-03-04");
    /* hour 23: the 4th's first 23:00 (+11) is 12:00Z; the second, at
     * 15:00Z, starts nothing. The 5th's 23:00 +08 = 15:00Z on the 5th. */
    w.hour = 23;
    check_whole_period(&w, m5 - 12 * H, m5 + 15 * H, "2010-03-04");
}

static void
test_skipped_day(void **state)
{
    (void)state;
    /* Samoa moved across the date line: Thursday 29 Dec 2011 (-10) was
     * followed by Saturday 31 Dec (+14). 29 Dec 2011 00:00Z is
     * 1325116800 (2011-01-01 = 1293840000, day 362). hour 10: the 29th's
     * send is 10:00 -10 = 20:00Z; the 31st's is 10:00 +14 = 20:00Z on
     * the 30th. The 30th never existed, so it has no send and no
     * period: 24 h from one send to the next. */
    struct digest_when w = { 0, 0, 10, "Pacific/Apia" };
    long long d29 = 1325116800LL;

    check_whole_period(&w, d29 + 20 * H, d29 + DAY + 20 * H, "2011-12-29");
    check_period(&w, d29 + DAY + 20 * H, d29 + DAY + 20 * H,
                 d29 + 2 * DAY + 20 * H, "2011-12-31");
    /* Weekly on Fridays (the 30th was one): that week has no send, so
     * the period from Friday 23 Dec 10:00 -10 (20:00Z) lasts two weeks,
     * to Friday 6 Jan 2012 10:00 +14 (20:00Z on the 5th). */
    w.weekly = 1;
    w.weekday = 5;
    check_period(&w, d29 + 2 * DAY, d29 - 6 * DAY + 20 * H,
                 d29 + 7 * DAY + 20 * H, "2011-W51");
}

/* London hour 8 in late November (GMT): periods start at 08:00Z. */
static const struct digest_when lon8 = { 0, 0, 8, "Europe/London" };
#define P27 (NOV29 - 2 * DAY + 8 * H)
#define P28 (NOV29 - DAY + 8 * H)
#define P29 (NOV29 + 8 * H)
#define P30 (NOV29 + DAY + 8 * H)

static void
check_due(long long last, long long now, int want_due, long long want_ps,
          const char *want_key)
{
    long long ps = -1;
    char key[DIGEST_KEY_LEN];
    int due = -1;

    assert_int_equal(digest_due(&lon8, last, now, &due, &ps, key,
                                sizeof key), CUR_OK);
    assert_int_equal(due, want_due);
    assert_int_equal(ps, want_ps);
    assert_string_equal(key, want_key);
}

static void
test_due(void **state)
{
    (void)state;
    /* Never sent: due, for the current period. */
    check_due(0, P29 + H, 1, P29, "2026-11-29");
    /* Just before the send time the current period is yesterday's,
     * already sent; at the send time today's is due. */
    check_due(P28, P29 - 1, 0, P28, "2026-11-28");
    check_due(P28, P29, 1, P29, "2026-11-29");
    /* Sent this period: not again, up to its last second. */
    check_due(P29, P29 + 1, 0, P29, "2026-11-29");
    check_due(P29, P30 - 1, 0, P29, "2026-11-29");
    /* Down from 07:00 to 15:00: the missed send is due on return, once
     * (the caller records P29). */
    check_due(P28, P29 + 7 * H, 1, P29, "2026-11-29");
    check_due(P29, P29 + 7 * H + 60, 0, P29, "2026-11-29");
    /* Back only after the period ended (the 30th at 09:00): only the
     * current period is due, not the 29th's. */
    check_due(P28, P30 + H, 1, P30, "2026-11-30");
    /* Clock jumped back after sending the 29th's: into the 29th before
     * 08:00 (the 28th's period) or to the 27th: nothing is due. */
    check_due(P29, P29 - H, 0, P28, "2026-11-28");
    check_due(P29, P27 + H, 0, P27, "2026-11-27");
    /* Forward jump over three periods (last sent the 26th's, now the
     * 29th at 12:00): one digest, the 29th's. */
    check_due(P27 - DAY, P29 + 4 * H, 1, P29, "2026-11-29");
    check_due(P29, P29 + 4 * H + 1, 0, P29, "2026-11-29");

    /* The outputs are optional. */
    int due = -1;
    assert_int_equal(digest_due(&lon8, 0, P29, &due, NULL, NULL, 0),
                     CUR_OK);
    assert_int_equal(due, 1);
    assert_int_equal(digest_due(&lon8, 0, P29, NULL, NULL, NULL, 0),
                     CUR_EINVAL);
}

static void
test_tz_valid(void **state)
{
    (void)state;
    char longname[301];
    static const char *const good[] = {
        "Europe/London", "America/New_York", "UTC", "Etc/UTC",
        "Asia/Kolkata", "Asia/Calcutta", "US/Eastern",
        "America/Argentina/ComodRivadavia", "Etc/GMT+5", "Etc/GMT-14",
        "America/Port-au-Prince",
    };
    static const char *const bad[] = {
        "Mars/Base", "../../etc/passwd", "", "Europe/London\n",
        "Europe/London ", " Europe/London", "/Europe/London",
        "Europe/London/", "Europe//London", "Europe/./London",
        "Europe/../Europe/London", "europe/london", "Etc/Unknown",
        "Factory", "GMT+5", "GMT+05:30", "Europe/Lond\xc3\xb6n",
        "Europe\\London", "Europe/London;", "/etc/localtime", "Z",
        "%2e%2e/etc/passwd", ".", "..", "/",
    };

    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        assert_int_equal(digest_tz_valid(good[i]), CUR_OK);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(digest_tz_valid(bad[i]), CUR_EINVAL);
    assert_int_equal(digest_tz_valid(NULL), CUR_EINVAL);
    /* 300 bytes of a plausible shape. */
    memset(longname, 'A', 300);
    longname[0] = 'E';
    longname[7] = '/';
    longname[300] = '\0';
    assert_int_equal(digest_tz_valid(longname), CUR_EINVAL);
    /* 64 bytes pass the shape check but name no zone; 65 are too long. */
    memset(longname, 'a', 65);
    longname[64] = '\0';
    assert_int_equal(digest_tz_valid(longname), CUR_EINVAL);
    longname[64] = 'a';
    longname[65] = '\0';
    assert_int_equal(digest_tz_valid(longname), CUR_EINVAL);
}

static void
test_refused(void **state)
{
    (void)state;
    long long s = 42, e = 42;
    char key[DIGEST_KEY_LEN] = "unchanged";
    struct digest_when w = { 0, 0, 8, "Europe/London" };
    static const char *const zones[] = {
        "Mars/Base", "../../etc/passwd", "", "Europe/London\n",
        "Etc/Unknown",
    };

    /* A bad zone is refused, not quietly read as GMT. */
    for (size_t i = 0; i < sizeof zones / sizeof *zones; i++) {
        w.tz = zones[i];
        assert_int_equal(digest_period(&w, NOV29, &s, &e, key, sizeof key),
                         CUR_EINVAL);
        assert_int_equal(digest_next_send(&w, NOV29, &e), CUR_EINVAL);
    }
    w.tz = NULL;
    assert_int_equal(digest_period(&w, NOV29, &s, &e, NULL, 0), CUR_EINVAL);
    w.tz = "Europe/London";

    /* Hours outside 0..23; weekdays outside 0..6 when weekly. */
    static const int hours[] = { -1, 24, 25, 1000, -2147483647 - 1 };
    for (size_t i = 0; i < sizeof hours / sizeof *hours; i++) {
        w.hour = hours[i];
        assert_int_equal(digest_period(&w, NOV29, &s, &e, NULL, 0),
                         CUR_EINVAL);
    }
    w.hour = 8;
    w.weekly = 1;
    static const int days[] = { -1, 7, 100 };
    for (size_t i = 0; i < sizeof days / sizeof *days; i++) {
        w.weekday = days[i];
        assert_int_equal(digest_period(&w, NOV29, &s, &e, NULL, 0),
                         CUR_EINVAL);
    }
    /* weekly must be 0 or 1. */
    w.weekday = 0;
    w.weekly = 2;
    assert_int_equal(digest_period(&w, NOV29, &s, &e, NULL, 0), CUR_EINVAL);
    w.weekly = 0;
    assert_int_equal(digest_period(NULL, NOV29, &s, &e, NULL, 0),
                     CUR_EINVAL);

    /* Instants out of range, and a key buffer too short. */
    assert_int_equal(digest_period(&w, -1, &s, &e, NULL, 0), CUR_EINVAL);
    assert_int_equal(digest_period(&w, DIGEST_T_MAX + 1, &s, &e, NULL, 0),
                     CUR_EINVAL);
    assert_int_equal(digest_period(&w, (long long)9e18, &s, &e, NULL, 0),
                     CUR_EINVAL);
    assert_int_equal(digest_period(&w, NOV29, &s, &e, key,
                                   DIGEST_KEY_LEN - 1), CUR_EINVAL);

    /* Nothing was written by any refusal. */
    assert_int_equal(s, 42);
    assert_int_equal(e, 42);
    assert_string_equal(key, "unchanged");
    int due = 7;
    assert_int_equal(digest_due(&w, 0, -5, &due, &s, key, sizeof key),
                     CUR_EINVAL);
    assert_int_equal(due, 7);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ordinary_days),
        cmocka_unit_test(test_spring_forward_london),
        cmocka_unit_test(test_spring_forward_new_york),
        cmocka_unit_test(test_fall_back_london),
        cmocka_unit_test(test_fall_back_new_york),
        cmocka_unit_test(test_simulated_days_across_changes),
        cmocka_unit_test(test_weekly),
        cmocka_unit_test(test_odd_offsets),
        cmocka_unit_test(test_utc_and_aliases),
        cmocka_unit_test(test_unusual_transitions),
        cmocka_unit_test(test_skipped_day),
        cmocka_unit_test(test_due),
        cmocka_unit_test(test_tz_valid),
        cmocka_unit_test(test_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
