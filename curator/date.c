/* Date parsing for feeds: every form RSS, Atom, RDF and JSON Feed
 * writers use, strict and sloppy, turned into Unix time (UTC), plus
 * podcast durations. Callers decide what an unknown date means.
 *
 * Written by hand because strptime() depends on the locale and cannot
 * read numeric zone offsets portably, and timegm() is non-standard and
 * bounded by the width of time_t: calendar arithmetic here is done on
 * long long. Character classes are ASCII-only for the same reason.
 *
 * The input is trimmed and copied into a NUL-terminated buffer of at
 * most DATE_MAX_LEN bytes, and every reader stops at a byte it does not
 * expect, NUL included, so nothing past the end is read. Numbers are
 * read with a bounded number of digits, so nothing overflows. */
#include "date.h"
#include "err.h"

#include <stdio.h>
#include <string.h>

#define YEAR_MIN 1970
#define YEAR_MAX 9999
#define TIME_MAX 253402300799LL     /* 9999-12-31T23:59:59Z */
#define OFFSET_MAX (23 * 60 + 59)   /* minutes */
#define WORD_MAX 16                 /* longest month or zone name + 1 */

/* The fields of a date as written, before validation. */
struct fields {
    int year, mon, day;             /* mon is 1 to 12 */
    int hour, min, sec;
    int frac;                       /* a non-zero fraction of a second */
    int off;                        /* zone offset, minutes east of UTC */
};

static const char *const month_names[] = {
    "january", "february", "march", "april", "may", "june", "july",
    "august", "september", "october", "november", "december"
};

struct zone {
    const char *name;
    int minutes;                    /* east of UTC */
    int takes_offset;               /* "GMT+0100" */
};

/* RFC 822 names, the "Disney" zones feedparser reads (AT, ET, ...), and
 * common names that mean one thing only. IST, AST, ADT and the like are
 * left out: they name several zones. */
static const struct zone zones[] = {
    { "gmt", 0, 1 }, { "ut", 0, 1 }, { "utc", 0, 1 }, { "uct", 0, 0 },
    { "etc/gmt", 0, 0 }, { "etc/utc", 0, 0 }, { "wet", 0, 0 },
    { "est", -300, 0 }, { "edt", -240, 0 }, { "cst", -360, 0 },
    { "cdt", -300, 0 }, { "mst", -420, 0 }, { "mdt", -360, 0 },
    { "pst", -480, 0 }, { "pdt", -420, 0 },
    { "at", -240, 0 }, { "et", -300, 0 }, { "ct", -360, 0 },
    { "mt", -420, 0 }, { "pt", -480, 0 },
    { "akst", -540, 0 }, { "akdt", -480, 0 }, { "hst", -600, 0 },
    { "bst", 60, 0 }, { "west", 60, 0 }, { "cet", 60, 0 },
    { "cest", 120, 0 }, { "met", 60, 0 }, { "mest", 120, 0 },
    { "mez", 60, 0 }, { "mesz", 120, 0 }, { "eet", 120, 0 },
    { "eest", 180, 0 }, { "msk", 180, 0 }, { "jst", 540, 0 },
    { "kst", 540, 0 }, { "hkt", 480, 0 }, { "sgt", 480, 0 },
    { "awst", 480, 0 }, { "acst", 570, 0 }, { "acdt", 630, 0 },
    { "aest", 600, 0 }, { "aedt", 660, 0 }, { "nzst", 720, 0 },
    { "nzdt", 780, 0 },
};

static int
is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int
is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
        || c == '\v';
}

static int
to_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static void
skip_space(const char **p)
{
    while (is_space((unsigned char)**p))
        (*p)++;
}

/* Number of digits at p. */
static size_t
digit_run(const char *p)
{
    size_t n = 0;
    while (is_digit((unsigned char)p[n]))
        n++;
    return n;
}

/* The value of the n (at most 9) digits at p. */
static int
number(const char *p, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (p[i] - '0');
    return v;
}

/* Read a run of 1 to 'max' digits (no more follow) into *out. */
static int
read_num(const char **p, size_t min, size_t max, int *out)
{
    size_t n = digit_run(*p);
    if (n < min || n > max)
        return 0;
    *out = number(*p, n);
    *p += n;
    return 1;
}

/* Copy the letters at p, lower-cased, into w (WORD_MAX bytes); '/'
 * between letters is kept when 'slash' is set ("Etc/GMT"). Returns the
 * length, or 0 if there is no word or it is too long. */
static size_t
read_word(const char **p, char *w, int slash)
{
    const char *q = *p;
    size_t n = 0;
    while (is_alpha((unsigned char)*q)
           || (slash && *q == '/' && n > 0 && is_alpha((unsigned char)q[1]))) {
        if (n + 1 >= WORD_MAX)
            return 0;
        w[n++] = (char)to_lower((unsigned char)*q);
        q++;
    }
    w[n] = '\0';
    *p = q;
    return n;
}

/* 1 to 12 for a month name, full or cut to at least three letters
 * ("Nov", "Sept"); 0 otherwise. */
static int
month_of(const char *w, size_t n)
{
    if (n < 3)
        return 0;
    for (int i = 0; i < 12; i++) {
        if (n <= strlen(month_names[i])
            && strncmp(w, month_names[i], n) == 0)
            return i + 1;
    }
    return 0;
}

static const struct zone *
zone_of(const char *w)
{
    for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++)
        if (strcmp(w, zones[i].name) == 0)
            return &zones[i];
    return NULL;
}

static int
is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int y, int m)
{
    static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
                                 30, 31 };
    return m == 2 && is_leap(y) ? 29 : mdays[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
static long long
days_from_civil(long long y, int m, int d)
{
    long long era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The inverse of days_from_civil(). */
static void
civil_from_days(long long z, long long *y, int *m, int *d)
{
    long long era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* Check every field and turn them into Unix time. */
static int
finish(const struct fields *f, long long *out)
{
    long long t;

    if (f->year < YEAR_MIN || f->year > YEAR_MAX || f->mon < 1
        || f->mon > 12 || f->day < 1
        || f->day > days_in_month(f->year, f->mon))
        return CUR_EINVAL;
    /* ISO 8601 writes the end of a day as 24:00:00; nothing later. */
    if (f->hour == 24) {
        if (f->min != 0 || f->sec != 0 || f->frac)
            return CUR_EINVAL;
    } else if (f->hour < 0 || f->hour > 23 || f->min < 0 || f->min > 59
               || f->sec < 0 || f->sec > 60) {
        return CUR_EINVAL;
    }
    if (f->off < -OFFSET_MAX || f->off > OFFSET_MAX)
        return CUR_EINVAL;
    /* Unix time has no leap seconds: :60 stays within its minute. */
    t = days_from_civil(f->year, f->mon, f->day) * 86400
        + f->hour * 3600LL + f->min * 60LL + (f->sec == 60 ? 59 : f->sec)
        - f->off * 60LL;
    if (t < 0 || t > TIME_MAX)
        return CUR_EINVAL;
    *out = t;
    return CUR_OK;
}

/* Turn a day of the year into month and day. */
static int
from_ordinal(struct fields *f, int yday)
{
    if (yday < 1 || yday > (is_leap(f->year) ? 366 : 365))
        return 0;
    f->mon = 1;
    while (yday > days_in_month(f->year, f->mon))
        yday -= days_in_month(f->year, f->mon++);
    f->day = yday;
    return 1;
}

/* ".5", ",123456789": any number of digits, kept only as "non-zero". */
static int
read_fraction(const char **p, struct fields *f)
{
    const char *q = *p;
    if ((*q != '.' && *q != ',') || !is_digit((unsigned char)q[1]))
        return 0;
    for (q++; is_digit((unsigned char)*q); q++)
        if (*q != '0')
            f->frac = 1;
    *p = q;
    return 1;
}

/* "+hh", "+hh:mm", "+hhmm" (ISO 8601); with 'loose' also "+h" and
 * "+h:mm" ("GMT+1"). */
static int
read_offset(const char **p, int loose, int *minutes)
{
    const char *q = *p;
    int sign, hh, mm = 0;
    size_t n;

    if (*q != '+' && *q != '-')
        return 0;
    sign = *q++ == '-' ? -1 : 1;
    n = digit_run(q);
    if (n == 4) {
        hh = number(q, 2);
        mm = number(q + 2, 2);
        q += 4;
    } else if (n == 2 || (loose && n == 1)) {
        hh = number(q, n);
        q += n;
        if (*q == ':') {
            q++;
            if (!read_num(&q, 2, 2, &mm))
                return 0;
        }
    } else {
        return 0;
    }
    if (hh > 23 || mm > 59)
        return 0;
    *minutes = sign * (hh * 60 + mm);
    *p = q;
    return 1;
}

/* ISO 8601 time after the 'T': "hh:mm[:ss[.f]]" or "hhmm[ss[.f]]". */
static int
read_iso_time(const char **p, struct fields *f)
{
    const char *q = *p;
    size_t n = digit_run(q);
    int have_sec = 0;

    if (n == 2 && q[2] == ':') {
        f->hour = number(q, 2);
        q += 3;
        if (!read_num(&q, 2, 2, &f->min))
            return 0;
        if (*q == ':') {
            q++;
            if (!read_num(&q, 2, 2, &f->sec))
                return 0;
            have_sec = 1;
        }
    } else if (n == 4 || n == 6) {
        f->hour = number(q, 2);
        f->min = number(q + 2, 2);
        if (n == 6) {
            f->sec = number(q + 4, 2);
            have_sec = 1;
        }
        q += n;
    } else {
        return 0;
    }
    if (have_sec)
        read_fraction(&q, f);
    *p = q;
    return 1;
}

/* RFC 3339, ISO 8601 (extended and basic) and W3CDTF, strictly. */
static int
parse_iso(const char *p, struct fields *f)
{
    size_t n = digit_run(p);

    if (n == 4) {
        f->year = number(p, 4);
        p += 4;
        if (*p == '\0')
            return CUR_OK;                      /* "2026" */
        if (*p++ != '-')
            return CUR_EINVAL;
        n = digit_run(p);
        if (n == 2 && p[2] != '-') {
            f->mon = number(p, 2);
            p += 2;
            return *p == '\0' ? CUR_OK : CUR_EINVAL;  /* "2026-11" */
        } else if (n == 2 || (n == 3 && p[0] == '0' && p[3] == '-')) {
            /* "2026-11-03"; Google once wrote "2003-012-31". */
            f->mon = number(p, n);
            p += n + 1;
            if (!read_num(&p, 2, 2, &f->day))
                return CUR_EINVAL;
        } else if (n == 3) {
            if (!from_ordinal(f, number(p, 3)))  /* "2026-307" */
                return CUR_EINVAL;
            p += 3;
        } else {
            return CUR_EINVAL;
        }
    } else if (n == 8) {
        f->year = number(p, 4);
        f->mon = number(p + 4, 2);
        f->day = number(p + 6, 2);
        p += 8;
    } else if (n == 7) {
        f->year = number(p, 4);
        if (!from_ordinal(f, number(p + 4, 3)))
            return CUR_EINVAL;
        p += 7;
    } else {
        return CUR_EINVAL;
    }
    if (*p == '\0')
        return CUR_OK;
    if (*p != 'T' && *p != 't' && *p != ' ')
        return CUR_EINVAL;
    p++;
    if (!read_iso_time(&p, f))
        return CUR_EINVAL;
    if (*p == 'Z' || *p == 'z')
        p++;
    else if ((*p == '+' || *p == '-') && !read_offset(&p, 0, &f->off))
        return CUR_EINVAL;
    return *p == '\0' ? CUR_OK : CUR_EINVAL;
}

/* A year as RFC 2822 reads it: 2 digits are 1950-2049, 3 digits are
 * counted from 1900. A year directly followed by ':' is a time. */
static int
read_year(const char **p, int short_ok, int *year)
{
    size_t n = digit_run(*p);

    if (n < (short_ok ? 2u : 4u) || n > 4 || (*p)[n] == ':')
        return 0;
    *year = number(*p, n);
    if (n == 2)
        *year += *year < 50 ? 2000 : 1900;
    else if (n == 3)
        *year += 1900;
    *p += n;
    return 1;
}

/* "h:mm", "hh:mm:ss", "hh:mm:ss.fff", then "AM" or "PM". */
static int
read_text_time(const char **p, struct fields *f)
{
    const char *q = *p, *r;
    char w[WORD_MAX];
    size_t n;

    if (!read_num(&q, 1, 2, &f->hour) || *q++ != ':'
        || !read_num(&q, 1, 2, &f->min))
        return 0;
    if (*q == ':') {
        q++;
        if (!read_num(&q, 1, 2, &f->sec))
            return 0;
        read_fraction(&q, f);
    }
    r = q;
    skip_space(&r);
    n = read_word(&r, w, 0);
    if (n == 2 && (strcmp(w, "am") == 0 || strcmp(w, "pm") == 0)) {
        if (f->hour < 1 || f->hour > 12)
            return 0;
        f->hour %= 12;
        if (w[0] == 'p')
            f->hour += 12;
        q = r;
    }
    *p = q;
    return 1;
}

/* A zone after a time: an offset, "Z", a name, a military letter, a
 * name with an offset ("GMT+0100") or an offset with a name ("-0500
 * EST", where the offset wins). Sets *have if one was read. */
static int
read_text_zone(const char **p, struct fields *f, int *have)
{
    const char *q = *p, *r;
    char w[WORD_MAX];
    const struct zone *z;
    size_t n;

    *have = 0;
    if (*q == '+' || *q == '-') {
        if (!read_offset(&q, 1, &f->off))
            return 0;
        r = q;
        skip_space(&r);
        if (read_word(&r, w, 1) > 0 && zone_of(w) != NULL)
            q = r;
    } else if (is_alpha((unsigned char)*q)) {
        n = read_word(&q, w, 1);
        if (n == 0)
            return 0;
        z = zone_of(w);
        if (z != NULL) {
            f->off = z->minutes;
            if (z->takes_offset && (*q == '+' || *q == '-')
                && !read_offset(&q, 1, &f->off))
                return 0;
        } else if (n == 1 && w[0] != 'j') {
            /* RFC 2822 4.3: military zones were defined with the wrong
             * sign, so they are read as -0000. */
            f->off = 0;
        } else {
            return 0;
        }
    } else {
        return 1;
    }
    *have = 1;
    *p = q;
    return 1;
}

/* An RFC 2822 comment, nested parentheses and quoted pairs included. */
static int
skip_comment(const char **p)
{
    const char *q = *p;
    int depth = 0;

    do {
        if (*q == '\0')
            return 0;
        if (*q == '\\' && q[1] != '\0')
            q++;
        else if (*q == '(')
            depth++;
        else if (*q == ')')
            depth--;
        q++;
    } while (depth > 0);
    *p = q;
    return 1;
}

/* RFC 822 and its relatives: an optional day name, then "3 Nov 2026",
 * "03-Nov-26", "2026-11-03", "2006/09/15", "Nov 3 2026" or asctime's
 * "Nov  3 08:30:00 2026"; an optional time, zone and comment. */
static int
parse_text(const char *p, struct fields *f)
{
    char w[WORD_MAX];
    const char *q;
    size_t n;
    int asctime_form = 0, have_zone = 0;

    if (is_alpha((unsigned char)*p)) {
        q = p;
        n = read_word(&q, w, 0);
        if (n == 0)
            return CUR_EINVAL;
        if (month_of(w, n) == 0) {
            /* A day name, right or wrong: it carries nothing. */
            p = q;
            if (*p == '.')
                p++;
            skip_space(&p);
            if (*p == ',')
                p++;
            skip_space(&p);
        }
    }
    n = digit_run(p);
    if (n == 4 && (p[4] == '-' || p[4] == '/' || p[4] == '.')) {
        char sep = p[4];
        f->year = number(p, 4);
        p += 5;
        if (!read_num(&p, 1, 2, &f->mon) || *p++ != sep
            || !read_num(&p, 1, 2, &f->day))
            return CUR_EINVAL;
        if ((*p == 'T' || *p == 't') && is_digit((unsigned char)p[1]))
            p++;
    } else if (n == 1 || n == 2) {
        int dash;
        f->day = number(p, n);
        p += n;
        dash = *p == '-';
        if (dash)
            p++;
        else
            skip_space(&p);
        n = read_word(&p, w, 0);
        if ((f->mon = month_of(w, n)) == 0)
            return CUR_EINVAL;
        if (dash) {
            if (*p++ != '-')
                return CUR_EINVAL;
        } else {
            if (*p == '.')
                p++;
            skip_space(&p);
            if (*p == ',')
                p++;
            skip_space(&p);
        }
        if (!read_year(&p, 1, &f->year))
            return CUR_EINVAL;
    } else if (n == 0 && is_alpha((unsigned char)*p)) {
        n = read_word(&p, w, 0);
        if ((f->mon = month_of(w, n)) == 0)
            return CUR_EINVAL;
        if (*p == '.')
            p++;
        skip_space(&p);
        if (!read_num(&p, 1, 2, &f->day))
            return CUR_EINVAL;
        skip_space(&p);
        if (*p == ',')
            p++;
        skip_space(&p);
        n = digit_run(p);
        if ((n == 1 || n == 2) && p[n] == ':')
            asctime_form = 1;
        else if (!read_year(&p, 0, &f->year))
            return CUR_EINVAL;
    } else {
        return CUR_EINVAL;
    }

    /* "13 Feb 2012, 06:28": a stray comma before the time. */
    q = p;
    skip_space(&q);
    if (*q == ',') {
        q++;
        skip_space(&q);
        if (is_digit((unsigned char)*q))
            p = q;
    }
    skip_space(&p);
    /* A zone is read only after a time: on a bare date it would move
     * midnight to some other day. asctime puts the year last. */
    if (asctime_form || is_digit((unsigned char)*p)) {
        if (!read_text_time(&p, f))
            return CUR_EINVAL;
        skip_space(&p);
        if (!read_text_zone(&p, f, &have_zone))
            return CUR_EINVAL;
        skip_space(&p);
        if (asctime_form && !read_year(&p, 0, &f->year))
            return CUR_EINVAL;
    }
    skip_space(&p);
    /* A comment only after a zone: "(CET)" alone is not an offset. */
    if (*p == '(' && (!have_zone || !skip_comment(&p)))
        return CUR_EINVAL;
    skip_space(&p);
    return *p == '\0' ? CUR_OK : CUR_EINVAL;
}

/* Trim white space from s and copy it into buf (DATE_MAX_LEN + 1 bytes).
 * Returns 0 if it is empty or too long. */
static int
trimmed_copy(const char *s, char *buf)
{
    size_t len;

    while (is_space((unsigned char)*s))
        s++;
    /* Trailing white space may go past the limit; a little is read. */
    len = strnlen(s, 4 * DATE_MAX_LEN + 1);
    if (len > 4 * DATE_MAX_LEN)
        return 0;
    while (len > 0 && is_space((unsigned char)s[len - 1]))
        len--;
    if (len == 0 || len > DATE_MAX_LEN)
        return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return 1;
}

int
date_parse(const char *s, long long *out)
{
    char buf[DATE_MAX_LEN + 1];
    struct fields f;
    long long t;

    if (s == NULL || out == NULL || !trimmed_copy(s, buf))
        return CUR_EINVAL;
    /* Each reader fills only what it sees: the rest is 1 January,
     * midnight, UTC. The strict reader goes first, then the loose. */
    if (is_digit((unsigned char)buf[0])) {
        f = (struct fields){ .mon = 1, .day = 1 };
        if (parse_iso(buf, &f) == CUR_OK && finish(&f, &t) == CUR_OK) {
            *out = t;
            return CUR_OK;
        }
    }
    f = (struct fields){ .mon = 1, .day = 1 };
    if (parse_text(buf, &f) == CUR_OK && finish(&f, &t) == CUR_OK) {
        *out = t;
        return CUR_OK;
    }
    return CUR_EINVAL;
}

int
date_parse_duration(const char *s, long long *seconds)
{
    char buf[DATE_MAX_LEN + 1];
    const char *p = buf;
    int v[3], n;
    long long total;
    struct fields ignored = { 0 };

    if (s == NULL || seconds == NULL || !trimmed_copy(s, buf))
        return CUR_EINVAL;
    /* The first field may exceed 59 ("90:00"); the others may not. */
    if (!read_num(&p, 1, 9, &v[0]))
        return CUR_EINVAL;
    for (n = 1; n < 3 && *p == ':'; n++) {
        p++;
        if (!read_num(&p, 2, 2, &v[n]) || v[n] > 59)
            return CUR_EINVAL;
    }
    read_fraction(&p, &ignored);
    if (*p != '\0')
        return CUR_EINVAL;
    total = v[0];
    for (int i = 1; i < n; i++)
        total = total * 60 + v[i];
    *seconds = total;
    return CUR_OK;
}

char *
date_format(long long t, char *buf, unsigned long len)
{
    long long days, rem, y;
    int m, d, n;

    if (buf == NULL || len == 0)
        return buf;
    days = t / 86400;
    rem = t % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    civil_from_days(days, &y, &m, &d);
    if (y >= 0 && y <= 9999 && len > 20) {
        /* By hand: snprintf() cost more than the rest of an item's
         * JSON. */
        int f[6] = { (int)y, m, d, (int)(rem / 3600), (int)(rem / 60 % 60),
                     (int)(rem % 60) };
        char *o = buf;
        for (n = 0; n < 6; n++) {
            if (n == 0) {
                *o++ = (char)('0' + f[0] / 1000);
                *o++ = (char)('0' + f[0] / 100 % 10);
            }
            *o++ = (char)('0' + f[n] / 10 % 10);
            *o++ = (char)('0' + f[n] % 10);
            *o++ = "--T::Z"[n];
        }
        *o = '\0';
    } else {
        snprintf(buf, len, "?");
    }
    return buf;
}
