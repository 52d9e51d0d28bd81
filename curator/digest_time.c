/* Digest send times and periods in the user's time zone, with ICU's C
 * calendar. Each call opens its own UCalendar (ICU objects are safe only
 * per object), so nothing is shared between threads and no process-wide
 * TZ is touched. The rules are in digest_time.h.
 *
 * Days are counted as "day numbers": days since 1970-01-01 in the
 * proleptic Gregorian calendar, independent of any zone. A send time is
 * found by asking ICU for the instant of a local wall time on a given
 * day number, with the gap and overlap policies set on the calendar;
 * calendar arithmetic on day numbers is done here, in plain integers.
 */
#include "digest_time.h"

#include <stdio.h>
#include <string.h>

#include <unicode/ucal.h>

#include "err.h"

/* Sends tried before giving up on finding a period's bounds. Two or
 * three always do; more means ICU or the zone data is broken. */
#define SEARCH_MAX 8

static long long
floor_div(long long a, long long b)
{
    long long q = a / b;

    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static long long
floor_mod(long long a, long long b)
{
    return a - floor_div(a, b) * b;
}

/* The day number of y-m-d. Years are counted from March so that the
 * leap day is the last day of its year. */
static long long
days_from_civil(long long y, int m, int d)
{
    long long yy = m <= 2 ? y - 1 : y;
    int mm = m <= 2 ? m + 9 : m - 3;     /* 0 March .. 11 February */
    long long days;

    days = yy * 365 + floor_div(yy, 4) - floor_div(yy, 100) +
           floor_div(yy, 400) + (153 * mm + 2) / 5 + d - 1;
    return days - 719468;               /* 0000-03-01 .. 1970-01-01 */
}

/* The date of day number 'z': guess the year, correct it, then walk the
 * months. Only called for years 1969 to 10000, so plain loops do. */
static void
civil_from_days(long long z, int *y, int *m, int *d)
{
    long long yr = 1970 + floor_div(z * 400, 146097);
    int mo;

    while (days_from_civil(yr, 1, 1) > z)
        yr--;
    while (days_from_civil(yr + 1, 1, 1) <= z)
        yr++;
    for (mo = 12; days_from_civil(yr, mo, 1) > z; mo--)
        ;
    *y = (int)yr;
    *m = mo;
    *d = (int)(z - days_from_civil(yr, mo, 1)) + 1;
}

/* 0 Sunday .. 6 Saturday; day 0 (1970-01-01) was a Thursday. */
static int
weekday_of(long long z)
{
    return (int)floor_mod(z + 4, 7);
}

/* The ISO 8601 week of day number z: the week (Monday to Sunday)
 * belongs to the year that holds its Thursday. */
static void
iso_week(long long z, int *year, int *week)
{
    int wd = weekday_of(z);
    long long thursday = z - (wd == 0 ? 7 : wd) + 4;
    int y, m, d;

    civil_from_days(thursday, &y, &m, &d);
    *year = y;
    *week = (int)((thursday - days_from_civil(y, 1, 1)) / 7) + 1;
}

static int
icu_err(UErrorCode st)
{
    return st == U_MEMORY_ALLOCATION_ERROR ? CUR_ENOMEM : CUR_EINVAL;
}

/* Copy an ASCII zone name (already checked) into ICU's UTF-16. */
static int32_t
to_uchars(const char *s, UChar *out)
{
    int32_t n = 0;

    while (s[n] != '\0') {
        out[n] = (UChar)(unsigned char)s[n];
        n++;
    }
    out[n] = 0;
    return n;
}

/* The name's shape: non-empty parts of [A-Za-z0-9_+-] between single
 * slashes. Dots are never needed, so ".." cannot appear. */
static int
tz_syntax_ok(const char *tz)
{
    size_t n = strnlen(tz, DIGEST_TZ_MAX + 1);
    size_t part = 0;

    if (n == 0 || n > DIGEST_TZ_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)tz[i];

        if (c == '/') {
            if (part == 0)
                return 0;
            part = 0;
            continue;
        }
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '+'))
            return 0;
        part++;
    }
    return part > 0;
}

int
digest_tz_valid(const char *tz)
{
    static const UChar unknown[] = { 'E', 't', 'c', '/', 'U', 'n', 'k',
                                     'n', 'o', 'w', 'n' };
    static const UChar factory[] = { 'F', 'a', 'c', 't', 'o', 'r', 'y' };
    UChar id[DIGEST_TZ_MAX + 1], canon[DIGEST_TZ_MAX + 1];
    UErrorCode st = U_ZERO_ERROR;
    UBool is_system = 0;
    int32_t n, len;

    if (tz == NULL || !tz_syntax_ok(tz))
        return CUR_EINVAL;
    n = to_uchars(tz, id);
    len = ucal_getCanonicalTimeZoneID(id, n, canon, DIGEST_TZ_MAX + 1,
                                      &is_system, &st);
    if (st == U_MEMORY_ALLOCATION_ERROR)
        return CUR_ENOMEM;
    /* Unknown names fail; custom offsets ("GMT+5") and "Etc/Unknown"
     * come back as non-system IDs. "Factory" is tzdata's placeholder
     * for an unset zone, not a place. */
    if (U_FAILURE(st) || !is_system || len <= 0 || len > DIGEST_TZ_MAX)
        return CUR_EINVAL;
    if ((len == (int32_t)(sizeof unknown / sizeof *unknown) &&
         memcmp(canon, unknown, sizeof unknown) == 0) ||
        (len == (int32_t)(sizeof factory / sizeof *factory) &&
         memcmp(canon, factory, sizeof factory) == 0))
        return CUR_EINVAL;
    return CUR_OK;
}

/* Check the schedule and open a calendar in its zone with the DST
 * policies of digest_time.h. */
static int
cal_open(const struct digest_when *w, UCalendar **out)
{
    UChar id[DIGEST_TZ_MAX + 1];
    UErrorCode st = U_ZERO_ERROR;
    UCalendar *cal;
    int rc;

    if (w == NULL || (w->weekly != 0 && w->weekly != 1) ||
        w->hour < 0 || w->hour > 23 ||
        (w->weekly && (w->weekday < 0 || w->weekday > 6)))
        return CUR_EINVAL;
    /* ICU opens an unknown zone as GMT without a word: check first. */
    rc = digest_tz_valid(w->tz);
    if (rc != CUR_OK)
        return rc;
    to_uchars(w->tz, id);
    /* A fixed locale: the default one must not change any result. */
    cal = ucal_open(id, -1, "en_US_POSIX", UCAL_GREGORIAN, &st);
    if (U_FAILURE(st)) {
        if (cal != NULL)
            ucal_close(cal);
        return icu_err(st);
    }
    ucal_setAttribute(cal, UCAL_REPEATED_WALL_TIME, UCAL_WALLTIME_FIRST);
    ucal_setAttribute(cal, UCAL_SKIPPED_WALL_TIME, UCAL_WALLTIME_NEXT_VALID);
    *out = cal;
    return CUR_OK;
}

/* The local day number at instant t. */
static int
local_day(UCalendar *cal, long long t, long long *day)
{
    UErrorCode st = U_ZERO_ERROR;
    int32_t y, m, d;

    ucal_setMillis(cal, (UDate)t * 1000.0, &st);
    y = ucal_get(cal, UCAL_EXTENDED_YEAR, &st);
    m = ucal_get(cal, UCAL_MONTH, &st);
    d = ucal_get(cal, UCAL_DATE, &st);
    if (U_FAILURE(st))
        return icu_err(st);
    *day = days_from_civil(y, m + 1, d);
    return CUR_OK;
}

/* The instant of hour:00 local on day number 'day', resolved by the
 * calendar's gap and overlap policies. */
static int
wall_instant(UCalendar *cal, long long day, int hour, long long *t)
{
    UErrorCode st = U_ZERO_ERROR;
    int y, m, d;
    UDate ms;

    civil_from_days(day, &y, &m, &d);
    ucal_clear(cal);
    ucal_setDateTime(cal, y, m - 1, d, hour, 0, 0, &st);
    ms = ucal_getMillis(cal, &st);
    if (U_FAILURE(st))
        return icu_err(st);
    /* Whole milliseconds since the epoch, exact in a double here. */
    *t = floor_div((long long)ms, 1000);
    return CUR_OK;
}

/* The send time of day number 'day', or *exists = 0 when that local
 * date never happened in the zone: its midnight resolves past the gap
 * into a later date. */
static int
send_at(UCalendar *cal, long long day, int hour, long long *t, int *exists)
{
    long long midnight, got;
    int rc;

    rc = wall_instant(cal, day, 0, &midnight);
    if (rc == CUR_OK)
        rc = local_day(cal, midnight, &got);
    if (rc != CUR_OK)
        return rc;
    *exists = got == day;
    if (!*exists)
        return CUR_OK;
    return wall_instant(cal, day, hour, t);
}

/* The period holding t: the latest send at or before t (on day number
 * *kday, at *s) and the first send after it (*e). Send times strictly
 * increase with their day, so start near t's local date and step. */
static int
find_period(UCalendar *cal, const struct digest_when *w, long long t,
            long long *kday, long long *s, long long *e)
{
    long long step = w->weekly ? 7 : 1;
    long long k, k2, st = 0, st2 = 0;
    int rc, exists, i;

    rc = local_day(cal, t, &k);
    if (rc != CUR_OK)
        return rc;
    if (w->weekly)
        k -= floor_mod(weekday_of(k) - w->weekday, 7);
    /* Back to a send at or before t (today's may still be ahead). */
    for (i = 0;; i++, k -= step) {
        if (i == SEARCH_MAX)
            return CUR_EINVAL;
        rc = send_at(cal, k, w->hour, &st, &exists);
        if (rc != CUR_OK)
            return rc;
        if (exists && st <= t)
            break;
    }
    /* Forward over later sends also at or before t: after a fall-back
     * across midnight, t's local date can be behind the last send. */
    for (i = 0, k2 = k + step;; i++, k2 += step) {
        if (i == SEARCH_MAX)
            return CUR_EINVAL;
        rc = send_at(cal, k2, w->hour, &st2, &exists);
        if (rc != CUR_OK)
            return rc;
        if (!exists)
            continue;
        if (st2 > t)
            break;
        k = k2;
        st = st2;
    }
    *kday = k;
    *s = st;
    *e = st2;
    return CUR_OK;
}

/* The key of the period whose send is on day number k. */
static void
make_key(const struct digest_when *w, long long k, char *key, size_t len)
{
    char buf[48];
    int y, m, d;

    if (w->weekly) {
        iso_week(k, &y, &m);
        snprintf(buf, sizeof buf, "%04d-W%02d", y, m);
    } else {
        civil_from_days(k, &y, &m, &d);
        snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
    }
    snprintf(key, len, "%s", buf);
}

int
digest_period(const struct digest_when *w, long long t,
              long long *start, long long *end, char *key, size_t keylen)
{
    UCalendar *cal = NULL;
    long long k, s, e;
    int rc;

    if (t < DIGEST_T_MIN || t > DIGEST_T_MAX ||
        (key != NULL && keylen < DIGEST_KEY_LEN))
        return CUR_EINVAL;
    rc = cal_open(w, &cal);
    if (rc != CUR_OK)
        return rc;
    rc = find_period(cal, w, t, &k, &s, &e);
    ucal_close(cal);
    if (rc != CUR_OK)
        return rc;
    if (start != NULL)
        *start = s;
    if (end != NULL)
        *end = e;
    if (key != NULL)
        make_key(w, k, key, keylen);
    return CUR_OK;
}

int
digest_next_send(const struct digest_when *w, long long after,
                 long long *next)
{
    return digest_period(w, after, NULL, next, NULL, 0);
}

int
digest_due(const struct digest_when *w, long long last_sent_start,
           long long now, int *due, long long *period_start,
           char *key, size_t keylen)
{
    long long s;
    int rc;

    if (due == NULL)
        return CUR_EINVAL;
    rc = digest_period(w, now, &s, NULL, key, keylen);
    if (rc != CUR_OK)
        return rc;
    /* P starts at its send time and holds now, so now >= s: the only
     * question is whether P was recorded. A later recorded start means
     * the clock went back; that period is not sent again. */
    *due = last_sent_start < s;
    if (period_start != NULL)
        *period_start = s;
    return CUR_OK;
}
