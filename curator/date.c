/* Date parsing for feeds: RFC 822 (RSS) and RFC 3339 (Atom, JSON Feed).
 * Written by hand because strptime() depends on the locale and cannot
 * read numeric zone offsets portably. */
#include "date.h"
#include "err.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *const months[] = {
    "jan", "feb", "mar", "apr", "may", "jun",
    "jul", "aug", "sep", "oct", "nov", "dec"
};

struct zone {
    const char *name;
    int minutes;
};

static const struct zone zones[] = {
    { "ut", 0 }, { "utc", 0 }, { "gmt", 0 }, { "z", 0 },
    { "est", -300 }, { "edt", -240 }, { "cst", -360 }, { "cdt", -300 },
    { "mst", -420 }, { "mdt", -360 }, { "pst", -480 }, { "pdt", -420 },
};

static void
skip_space(const char **p)
{
    while (isspace((unsigned char)**p))
        (*p)++;
}

/* Read 1 to 'max' digits. */
static int
digits(const char **p, int max, int *out)
{
    int n = 0, v = 0;
    while (n < max && isdigit((unsigned char)**p)) {
        v = v * 10 + (**p - '0');
        (*p)++;
        n++;
    }
    *out = v;
    return n;
}

static int
valid_fields(int year, int mon, int day, int h, int m, int s)
{
    static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
                                 30, 31 };
    return year >= 1900 && year <= 9999 && mon >= 0 && mon < 12
        && day >= 1 && day <= mdays[mon] && h >= 0 && h <= 24 && m >= 0
        && m < 60 && s >= 0 && s <= 60;
}

static long long
to_unix(int year, int mon, int day, int h, int m, int s, int offset_min)
{
    struct tm tm = { 0 };
    tm.tm_year = year - 1900;
    tm.tm_mon = mon;
    tm.tm_mday = day;
    tm.tm_hour = h;
    tm.tm_min = m;
    tm.tm_sec = s > 59 ? 59 : s;    /* a leap second reads as :59 */
    return (long long)timegm(&tm) - offset_min * 60LL;
}

/* "+0100", "-05:00", "GMT", "EST", "Z"; missing means UTC. */
static int
parse_zone(const char **p, int *minutes)
{
    skip_space(p);
    *minutes = 0;
    if (**p == '+' || **p == '-') {
        int sign = **p == '-' ? -1 : 1, hh, mm = 0;
        (*p)++;
        if (digits(p, 2, &hh) != 2)
            return 0;
        if (**p == ':')
            (*p)++;
        if (isdigit((unsigned char)**p) && digits(p, 2, &mm) != 2)
            return 0;
        if (hh > 23 || mm > 59)
            return 0;
        *minutes = sign * (hh * 60 + mm);
        return 1;
    }
    if (**p == '\0')
        return 1;
    for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
        size_t n = strlen(zones[i].name);
        if (strncasecmp(*p, zones[i].name, n) == 0
            && !isalpha((unsigned char)(*p)[n])) {
            *minutes = zones[i].minutes;
            *p += n;
            return 1;
        }
    }
    return 0;
}

static int
parse_rfc822(const char *p, long long *out)
{
    int day, year, h = 0, m = 0, s = 0, mon = -1, zone;

    /* Optional day name and comma. */
    if (isalpha((unsigned char)*p)) {
        while (isalpha((unsigned char)*p))
            p++;
        if (*p == ',')
            p++;
        skip_space(&p);
    }
    if (digits(&p, 2, &day) == 0)
        return CUR_EINVAL;
    skip_space(&p);
    for (int i = 0; i < 12; i++)
        if (strncasecmp(p, months[i], 3) == 0)
            mon = i;
    if (mon < 0)
        return CUR_EINVAL;
    while (isalpha((unsigned char)*p))
        p++;
    skip_space(&p);
    int ny = digits(&p, 4, &year);
    if (ny == 2)
        year += year < 50 ? 2000 : 1900;
    else if (ny != 4)
        return CUR_EINVAL;
    skip_space(&p);
    if (isdigit((unsigned char)*p)) {
        if (digits(&p, 2, &h) == 0 || *p++ != ':' || digits(&p, 2, &m) != 2)
            return CUR_EINVAL;
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &s) != 2)
                return CUR_EINVAL;
        }
    }
    if (!parse_zone(&p, &zone))
        return CUR_EINVAL;
    skip_space(&p);
    if (*p != '\0' || !valid_fields(year, mon, day, h, m, s))
        return CUR_EINVAL;
    *out = to_unix(year, mon, day, h, m, s, zone);
    return CUR_OK;
}

static int
parse_rfc3339(const char *p, long long *out)
{
    int year, mon, day, h = 0, m = 0, s = 0, zone = 0;

    if (digits(&p, 4, &year) != 4 || *p++ != '-' || digits(&p, 2, &mon) != 2
        || *p++ != '-' || digits(&p, 2, &day) != 2)
        return CUR_EINVAL;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (digits(&p, 2, &h) != 2 || *p++ != ':' || digits(&p, 2, &m) != 2)
            return CUR_EINVAL;
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &s) != 2)
                return CUR_EINVAL;
            if (*p == '.' || *p == ',') {
                p++;
                while (isdigit((unsigned char)*p))
                    p++;
            }
        }
        if (!parse_zone(&p, &zone))
            return CUR_EINVAL;
    }
    skip_space(&p);
    if (*p != '\0' || !valid_fields(year, mon - 1, day, h, m, s))
        return CUR_EINVAL;
    *out = to_unix(year, mon - 1, day, h, m, s, zone);
    return CUR_OK;
}

int
date_parse(const char *s, long long *out)
{
    char tmp[128];
    size_t len;

    skip_space(&s);
    len = strlen(s);
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    if (len == 0 || len >= sizeof tmp)
        return CUR_EINVAL;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    if (len >= 10 && isdigit((unsigned char)tmp[0]) && tmp[4] == '-')
        return parse_rfc3339(tmp, out);
    return parse_rfc822(tmp, out);
}

char *
date_format(long long t, char *buf, unsigned long len)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (gmtime_r(&tt, &tm) == NULL
        || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, len, "?");
    return buf;
}
