/* Unit tests for curator/date.c: one table of dates in every form feeds
 * use, with the Unix time each must give or BAD for a date that must be
 * refused; durations; formatting; and inputs cut short, oversized or
 * random, which must never be read past their end.
 *
 * The expected times were computed apart from the code under test:
 * the UTC time in each comment was written by hand and turned into Unix
 * time with Python's calendar.timegm(); `date -u -d @N` reads one back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "date.h"
#include "err.h"

#define BAD (-1LL)                  /* date_parse() must refuse it */
#define SENTINEL 4242LL
#define TIME_MAX 253402300799LL     /* 9999-12-31T23:59:59Z */

struct date_case {
    const char *in;
    long long want;                 /* Unix time, or BAD */
};

static const struct date_case date_cases[] = {
    /* RFC 822 / 1123 / 2822 */
    { "Tue, 03 Nov 2026 09:30:00 +0100",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue, 03 Nov 2026 08:30:00 GMT",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "03 Nov 2026 08:30:00 GMT",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue, 03 Nov 2026 08:30 GMT",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "03 Nov 2026 08:30",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue, 03 Nov 26 08:30:00 GMT",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue, 03 Nov 49 08:30:00 GMT",
      2519541000LL },     /* 2049-11-03T08:30:00Z */
    { "Wed, 03 Nov 99 08:30:00 GMT",
      941617800LL },      /* 1999-11-03T08:30:00Z */
    { "Tue, 03 Nov 70 08:30:00 GMT",
      26469000LL },       /* 1970-11-03T08:30:00Z */
    { "Sun, 06 Nov 94 08:49:37 GMT",
      784111777LL },      /* 1994-11-06T08:49:37Z */
    { "Tue, 03 Nov 126 08:30:00 GMT",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Thu, 01 Jan 104 00:00:00 GMT",
      1072915200LL },     /* 2004-01-01T00:00:00Z */
    { "Tue, 03 November 2026 08:30:00 GMT",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue, 03 NOV 2026 08:30:00 GMT",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "tue, 03 nov 2026 08:30:00 gmt",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue, 03 NoVeMbEr 2026 08:30:00 GMT",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Thu, 03 Sept 2026 08:30:00 GMT",
      1788424200LL },     /* 2026-09-03T08:30:00Z */
    { "Thu, 03 Sep. 2026 08:30:00 GMT",
      1788424200LL },     /* 2026-09-03T08:30:00Z */
    { "Sat, 01 january 2011 00:00:00 GMT",
      1293840000LL },     /* 2011-01-01T00:00:00Z */
    { "Wed, 15 February 2012 10:00:00 GMT",
      1329300000LL },     /* 2012-02-15T10:00:00Z */
    { "Fri, 03 Nov 2026 08:30:00 GMT",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tuseday, 03 Nov 2026 08:30:00 GMT",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue 03 Nov 2026 08:30:00 GMT",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue., 03 Nov 2026 08:30:00 GMT",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "  Tue,   03    Nov   2026   08:30:00    GMT  ",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "\tTue, 03 Nov 2026\n08:30:00 GMT\r\n",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue,03 Nov 2026 08:30:00 GMT",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue, 3 Nov 2026 08:30:00 GMT",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Thu,  5 Apr 2012 10:00:00 GMT",
      1333620000LL },     /* 2012-04-05T10:00:00Z */
    { "Tue, 03 Nov 2026 8:30:00 GMT",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue, 03 Nov 2026 8:30:5 GMT",
      1793694605LL },     /* 2026-11-03T08:30:05Z */
    { "Tue, 03 Nov 2026 08:30:00 +0000",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue, 03 Nov 2026 08:30:00 -0000",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue, 03 Nov 2026 03:30:00 -0500",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue, 03 Nov 2026 14:00:00 +0530",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue, 03 Nov 2026 14:00:00 +05:30",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue, 03 Nov 2026 09:30:00 +01",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue, 03 Nov 2026 00:01:00 +2359",
      1793577720LL },     /* 2026-11-02T00:02:00Z */
    { "Tue, 03 Nov 2026 23:58:00 -2359",
      1793836620LL },     /* 2026-11-04T23:57:00Z */
    { "Wed, 19 Feb 2012 22:40:00 -01:01",
      1329694860LL },     /* 2012-02-19T23:41:00Z */
    { "Tue, 03 Nov 2026 08:30:00 UT",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue, 03 Nov 2026 08:30:00 UTC",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue, 03 Nov 2026 08:30:00 Z",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue, 03 Nov 2026 08:30:00 z",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue, 03 Nov 2026 08:30:00",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue, 03 Nov 2026 03:30:00 EST",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue, 03 Nov 2026 04:30:00 EDT",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue, 03 Nov 2026 02:30:00 CST",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue, 03 Nov 2026 03:30:00 CDT",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue, 03 Nov 2026 01:30:00 MST",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue, 03 Nov 2026 02:30:00 MDT",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue, 03 Nov 2026 00:30:00 PST",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue, 03 Nov 2026 01:30:00 pdt",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue, 03 Nov 2026 08:30:00 A",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue, 03 Nov 2026 08:30:00 I",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue, 03 Nov 2026 08:30:00 K",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue, 03 Nov 2026 08:30:00 M",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue, 03 Nov 2026 08:30:00 N",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue, 03 Nov 2026 08:30:00 y",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue, 03 Nov 2026 09:30:00 +0100 (CET)",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue, 03 Nov 2026 09:30:00 +0100 (Central (European) Time)",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue, 03 Nov 2026 09:30:00 +0100 (Mitteleurop\xc3\xa4ische Zeit)",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue, 03 Nov 2026 09:30:00 +0100 (a \\) b)",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue, 03 Nov 2026 03:30:00 -0500 EST",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue, 03 Nov 2026 09:30:00 GMT+0100",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue, 03 Nov 2026 09:30:00 GMT+01:00",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue, 03 Nov 2026 09:30:00 UTC+1",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Wed, 19 Feb 2012 22:40:00 GMT-01:01",
      1329694860LL },     /* 2012-02-19T23:41:00Z */
    { "Tue, 03 Nov 2026 09:30:00 CET",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue, 03 Nov 2026 10:30:00 CEST",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Thu, 30 Apr 2015 08:57:00 MET",
      1430380620LL },     /* 2015-04-30T07:57:00Z */
    { "Thu, 30 Apr 2015 08:57:00 MEST",
      1430377020LL },     /* 2015-04-30T06:57:00Z */
    { "Tue, 03 Nov 2026 17:30:00 JST",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Wed, 19 Aug 2009 18:28:00 Etc/GMT",
      1250706480LL },     /* 2009-08-19T18:28:00Z */
    { "Mon, 26 January 2004 16:31:00 AT",
      1075149060LL },     /* 2004-01-26T20:31:00Z */
    { "Mon, 26 January 2004 16:31:00 ET",
      1075152660LL },     /* 2004-01-26T21:31:00Z */
    { "Mon, 26 January 2004 16:31:00 CT",
      1075156260LL },     /* 2004-01-26T22:31:00Z */
    { "Mon, 26 January 2004 16:31:00 MT",
      1075159860LL },     /* 2004-01-26T23:31:00Z */
    { "Mon, 26 January 2004 16:31:00 PT",
      1075163460LL },     /* 2004-01-27T00:31:00Z */
    { "Mon, 13 Feb, 2012 06:28:00 UTC",
      1329114480LL },     /* 2012-02-13T06:28:00Z */
    { "Mon, 13 Feb 2012, 06:28:00 UTC",
      1329114480LL },     /* 2012-02-13T06:28:00Z */
    { "Thu, 01 Jan 2004",
      1072915200LL },     /* 2004-01-01T00:00:00Z */
    { "Thu, 01 Jan 2004 00:00 GMT",
      1072915200LL },     /* 2004-01-01T00:00:00Z */
    { "Thu, 01 Jan 04 19:48:21 GMT",
      1072986501LL },     /* 2004-01-01T19:48:21Z */
    { "Thu, 01 Jan 2004 19:48:21 GMT",
      1072986501LL },     /* 2004-01-01T19:48:21Z */
    { "Sat, 07 Sep 2002 00:00:01 GMT",
      1031356801LL },     /* 2002-09-07T00:00:01Z */
    { "Mon, 03 Apr 2023 01:02:03 GMT",
      1680483723LL },     /* 2023-04-03T01:02:03Z */
    { "Sat, 29 Feb 2020 12:00:00 GMT",
      1582977600LL },     /* 2020-02-29T12:00:00Z */
    { "Tue, 29 Feb 2000 12:00:00 GMT",
      951825600LL },      /* 2000-02-29T12:00:00Z */
    { "Thu, 01 Jan 1970 00:00:00 GMT",
      0LL },              /* 1970-01-01T00:00:00Z */
    { "Fri, 31 Dec 9999 23:59:59 GMT",
      253402300799LL },   /* 9999-12-31T23:59:59Z */
    { "Sat, 31 Dec 2016 23:59:60 GMT",
      1483228799LL },     /* 2016-12-31T23:59:59Z */
    { "Tue, 03 Nov 2026 08:30:00.75 GMT",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue, 03 Nov 2026 8:30 PM GMT",
      1793737800LL },     /* 2026-11-03T20:30:00Z */
    { "Tue, 03 Nov 2026 12:15 am",
      1793664900LL },     /* 2026-11-03T00:15:00Z */
    { "Tue, 03 Nov 2026 12:15 PM",
      1793708100LL },     /* 2026-11-03T12:15:00Z */
    /* RFC 850, asctime, JavaScript, US order */
    { "Thursday, 01-Jan-04 19:48:21 GMT",
      1072986501LL },     /* 2004-01-01T19:48:21Z */
    { "Sunday, 06-Nov-94 08:49:37 GMT",
      784111777LL },      /* 1994-11-06T08:49:37Z */
    { "Tuesday, 03-Nov-2026 08:30:00 GMT",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "3-nov-2026",
      1793664000LL },     /* 2026-11-03T00:00:00Z */
    { "Sun Jan  4 16:29:06 2004",
      1073233746LL },     /* 2004-01-04T16:29:06Z */
    { "Sun Nov  6 08:49:37 1994",
      784111777LL },      /* 1994-11-06T08:49:37Z */
    { "Jan 4 16:29:06 2004",
      1073233746LL },     /* 2004-01-04T16:29:06Z */
    { "Sun Jul 15 01:16:00 +0000 2012",
      1342314960LL },     /* 2012-07-15T01:16:00Z */
    { "Tue Nov 03 09:30:00 +0100 2026",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Tue Nov  3 03:30:00 EST 2026",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "Thu Aug 30 2012 17:26:16 +0200",
      1346340376LL },     /* 2012-08-30T15:26:16Z */
    { "Thu Aug 30 2012 17:26:16 GMT+0200 (CEST)",
      1346340376LL },     /* 2012-08-30T15:26:16Z */
    { "Nov 3, 2026 08:30:00",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "November 3, 2026",
      1793664000LL },     /* 2026-11-03T00:00:00Z */
    { "Tuesday, November 3, 2026 3:30 AM EST",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    /* Numeric dates in loose forms */
    { "Sun, 2004-01-04 12:34:56 +0100",
      1073216096LL },     /* 2004-01-04T11:34:56Z */
    { "2004-01-04 12:34:56 +01:00",
      1073216096LL },     /* 2004-01-04T11:34:56Z */
    { "2004-01-04 12:34:56 GMT",
      1073219696LL },     /* 2004-01-04T12:34:56Z */
    { "2004-01-04T12:34:56 Z",
      1073219696LL },     /* 2004-01-04T12:34:56Z */
    { "Fri, 2006/09/15 08:19:53 EDT",
      1158322793LL },     /* 2006-09-15T12:19:53Z */
    { "2006/09/15 08:19:53",
      1158308393LL },     /* 2006-09-15T08:19:53Z */
    { "2006.09.15",
      1158278400LL },     /* 2006-09-15T00:00:00Z */
    { "2004-07-08 23:56:58 -00:20",
      1089332218LL },     /* 2004-07-09T00:16:58Z */
    { "2004-07-08 23:56:58.0",
      1089331018LL },     /* 2004-07-08T23:56:58Z */
    { "2004-07-08 23:56:58",
      1089331018LL },     /* 2004-07-08T23:56:58Z */
    { "2026-11-03T8:30:00Z",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "2004-7-13T9:15-05:00",
      1089728100LL },     /* 2004-07-13T14:15:00Z */
    { "2026-1-3 08:30",
      1767429000LL },     /* 2026-01-03T08:30:00Z */
    { "2026-11-03T09:30:00+01:00 (CET)",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    /* RFC 3339 / ISO 8601 / W3CDTF */
    { "2026-11-03T08:30:00Z",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "2026-11-03T08:30:00z",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "2026-11-03t08:30:00Z",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "2026-11-03t08:30:00z",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "2026-11-03 08:30:00Z",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "2026-11-03T08:30:00",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "2026-11-03T08:30Z",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "2026-11-03T08:30",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "2026-11-03T09:30:00+01:00",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "2026-11-03T09:30:00+0100",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "2026-11-03T09:30:00+01",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "2026-11-03T03:30:00-05:00",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "2026-11-03T14:00:00+05:30",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "2026-11-03T08:30:00-00:00",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "2026-11-03T08:30:00+00:00",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "2026-11-03T09:30+01:00",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "2026-11-03T08:30:00.5Z",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "2026-11-03T08:30:00.123456789012345678901234567890Z",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "2026-11-03T08:30:00,25Z",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "2026-11-03T08:30:00.999999+00:00",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "2003-12-31T10:14:55.1234Z",
      1072865695LL },     /* 2003-12-31T10:14:55Z */
    { "2003-12-31T10:14:55-08:00",
      1072894495LL },     /* 2003-12-31T18:14:55Z */
    { "2003-12-31T18:14:55+08:00",
      1072865695LL },     /* 2003-12-31T10:14:55Z */
    { "2007-04-23T23:25:47.538+10:00",
      1177334747LL },     /* 2007-04-23T13:25:47Z */
    { "2004-02-28T18:14:55-08:00",
      1078020895LL },     /* 2004-02-29T02:14:55Z */
    { "2003-02-28T18:14:55-08:00",
      1046484895LL },     /* 2003-03-01T02:14:55Z */
    { "2000-02-28T18:14:55-08:00",
      951790495LL },      /* 2000-02-29T02:14:55Z */
    { "2004-04-06T23:05:43-05:00",
      1081310743LL },     /* 2004-04-07T04:05:43Z */
    { "2002-10-17T17:00+01:00",
      1034870400LL },     /* 2002-10-17T16:00:00Z */
    { "2003-012-31T10:14:55+00:00",
      1072865695LL },     /* 2003-12-31T10:14:55Z */
    { "2026-12-31T23:30:00-01:00",
      1798763400LL },     /* 2027-01-01T00:30:00Z */
    { "2026-11-03",
      1793664000LL },     /* 2026-11-03T00:00:00Z */
    { "2026-11",
      1793491200LL },     /* 2026-11-01T00:00:00Z */
    { "2026",
      1767225600LL },     /* 2026-01-01T00:00:00Z */
    { "1970",
      0LL },              /* 1970-01-01T00:00:00Z */
    { "1970-01-01T00:00:00Z",
      0LL },              /* 1970-01-01T00:00:00Z */
    { "9999-12-31T23:59:59Z",
      253402300799LL },   /* 9999-12-31T23:59:59Z */
    { "2026-11-03T24:00:00Z",
      1793750400LL },     /* 2026-11-04T00:00:00Z */
    { "2026-11-03T24:00Z",
      1793750400LL },     /* 2026-11-04T00:00:00Z */
    { "2016-12-31T23:59:60Z",
      1483228799LL },     /* 2016-12-31T23:59:59Z */
    { "2024-02-29T12:00:00Z",
      1709208000LL },     /* 2024-02-29T12:00:00Z */
    { "20261103T083000Z",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "20261103T083000",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "20261103T0830Z",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "20261103T093000+0100",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "20261103T093000+01",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "20261103T083000.5Z",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "20261103T083000,5z",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "20261103",
      1793664000LL },     /* 2026-11-03T00:00:00Z */
    { "2026-307",
      1793664000LL },     /* 2026-11-03T00:00:00Z */
    { "2026-307T08:30:00Z",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "2026307T083000Z",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    { "2024-366",
      1735603200LL },     /* 2024-12-31T00:00:00Z */
    { "2024-060",
      1709164800LL },     /* 2024-02-29T00:00:00Z */
    { "2026-001",
      1767225600LL },     /* 2026-01-01T00:00:00Z */
    { "  2026-11-03T08:30:00Z\n",
      1793694600LL },     /* 2026-11-03T08:30:00Z */
    /* Refused: Empty, words, fragments */
    { "", BAD },
    { "   ", BAD },
    { "\n\t", BAD },
    { "yesterday", BAD },
    { "now", BAD },
    { "Tue", BAD },
    { "Tue,", BAD },
    { "Nov", BAD },
    { "Nov 2026", BAD },
    { "03 Nov", BAD },
    { "Tue, 03 Nov", BAD },
    { "2026-", BAD },
    { "2026-1", BAD },
    { "2026-11-", BAD },
    { "T08:30:00Z", BAD },
    { "08:30:00", BAD },
    { "Jan 4 16:29:06", BAD },
    { "--2026-11-03", BAD },
    { "+2026-11-03", BAD },
    { "202611", BAD },
    { "22013", BAD },
    { "013", BAD },
    { "26", BAD },
    { "99999999999999999999999999", BAD },
    { "01/04/2004", BAD },
    { "04.01.2004", BAD },
    { "2026-W45-2", BAD },
    /* Refused: Out-of-range fields */
    { "2026-13-01", BAD },
    { "2026-00-10", BAD },
    { "2026-11-00", BAD },
    { "2026-10-32", BAD },
    { "Tue, 03 Foo 2026 08:30:00 GMT", BAD },
    { "Tue, 32 Nov 2026 08:30:00 GMT", BAD },
    { "Tue, 00 Nov 2026 08:30:00 GMT", BAD },
    { "Sun, 99 Jun 2009 12:00:00 GMT", BAD },
    { "2026-02-29", BAD },
    { "2026-02-30", BAD },
    { "2100-02-29", BAD },
    { "Sat, 30 Feb 2026", BAD },
    { "Tue, 31 Jun 2026 08:30 GMT", BAD },
    { "2026-04-31T00:00:00Z", BAD },
    { "2026-366", BAD },
    { "2026-000", BAD },
    { "2026000", BAD },
    { "2026-11-03T25:00:00Z", BAD },
    { "Tue, 03 Nov 2026 25:00:00 GMT", BAD },
    { "2026-11-03T24:00:01Z", BAD },
    { "2026-11-03T24:30Z", BAD },
    { "2026-11-03T24:00:00.5Z", BAD },
    { "2026-11-03T08:60:00Z", BAD },
    { "Tue, 03 Nov 2026 08:60 GMT", BAD },
    { "2026-11-03T08:30:61Z", BAD },
    { "Tue, 03 Nov 2026 13:30 PM", BAD },
    { "Tue, 03 Nov 2026 00:30 AM", BAD },
    { "2026-11-03T08:30:00+24:00", BAD },
    { "2026-11-03T08:30:00+2400", BAD },
    { "2026-11-03T08:30:00-23:60", BAD },
    { "2026-11-03T08:30:00+99:00", BAD },
    { "Tue, 03 Nov 2026 08:30:00 +123", BAD },
    { "Tue, 03 Nov 2026 08:30:00 +12345", BAD },
    { "Tue, 03 Nov 2026 08:30:00 GMT+24", BAD },
    { "Sun, 31 Dec 9999 23:59:59 -9999", BAD },
    { "9999-12-31T23:59:59-99:99", BAD },
    /* Refused: Years out of range */
    { "9999-12-31T23:59:59-01:00", BAD },
    { "10000-01-01T00:00:00Z", BAD },
    { "1969-12-31T23:59:59Z", BAD },
    { "1969", BAD },
    { "Wed, 31 Dec 69 23:59:59 GMT", BAD },
    { "1970-01-01T00:30:00+01:00", BAD },
    { "0000-00-00", BAD },
    { "Thu, 01 Jan 0100 00:00:01 +0100", BAD },
    { "Thu, 01 Jan 4 00:00:01 GMT", BAD },
    /* Refused: Zones and trailing garbage */
    { "Tue, 03 Nov 2026 08:30:00 XYZ", BAD },
    { "Tue, 03 Nov 2026 08:30:00 J", BAD },
    { "Tue, 03 Nov 2026 08:30:00 IST", BAD },
    { "Tue, 03 Nov 2026 08:30:00 Etc/GMT+5", BAD },
    { "Thu, 01 Jan 2004 GMT", BAD },
    { "2026-11-03Z", BAD },
    { "2026-11-03 (CET)", BAD },
    { "Tue, 03 Nov 2026 09:30:00 (CET)", BAD },
    { "Tue, 03 Nov 2026 09:30:00 +0100 (CET", BAD },
    { "Tue, 03 Nov 2026 09:30:00 +0100 (CET) x", BAD },
    { "03 Nov 2026 08:30:00 GMT trailing", BAD },
    { "2026-11-03T08:30:00Zjunk", BAD },
    { "2013-01-28T11:30:00-06:00Textra", BAD },
    { "2013-01-27-01", BAD },
    { "2026-11-03T08:30:00+01:00:00", BAD },
    { "2026-11-03T08:30:00.", BAD },
    { "2026-11-03T08:30.5Z", BAD },
    { "2026-11-03TT08:30:00Z", BAD },
    { "Sun, 16 Dec 2012 1:2:3:4 GMT", BAD },
    { "Sun, Dec x 2012 11:47:32 GMT", BAD },
    { "Sun, 16 Dec zz 11:47:32 GMT", BAD },
    { "Sun, 16 Dec 2012 11:47:32 +zz:00", BAD },
    { "Sun, 16 Dec 2012 11:47:32 +00:zz", BAD },
    { "2013-xx-27", BAD },
    { "2013-01-28T09:xx:00Z", BAD },
    { "2013-01-28T09:00:00+00:xx", BAD },
    { "Tue, 03 Nov 2026 08:30:00 GMT GMT", BAD },
    /* Refused: Non-ASCII bytes */
    { "Tue, 03 Nov 2026 08:30:00 G\xc3\x89T", BAD },
    { "2026-11-03\xc2\xa0" "08:30:00Z", BAD },
    { "\xff\xfe" "2026-11-03", BAD },
    { "2026-11-03T08:30:00Z\x80", BAD },
    { "Tue, 03 N\xc3\xb6v 2026", BAD },
    { "\xe2\x80\x8b" "2026-11-03", BAD },
};

static size_t
count_cases(long long which)
{
    size_t n = 0;
    for (size_t i = 0; i < sizeof date_cases / sizeof date_cases[0]; i++)
        if ((date_cases[i].want == BAD) == (which == BAD))
            n++;
    return n;
}

static void
test_date_table(void **state)
{
    size_t failures = 0;
    (void)state;
    /* The brief: at least 150 cases, 40 of them refused. */
    assert_true(count_cases(0) + count_cases(BAD) >= 150);
    assert_true(count_cases(BAD) >= 40);
    for (size_t i = 0; i < sizeof date_cases / sizeof date_cases[0]; i++) {
        const struct date_case *c = &date_cases[i];
        long long t = SENTINEL;
        int rc = date_parse(c->in, &t);
        if (c->want == BAD && (rc != CUR_EINVAL || t != SENTINEL)) {
            print_error("accepted '%s' as %lld (rc %d)\n", c->in, t, rc);
            failures++;
        } else if (c->want != BAD && (rc != CUR_OK || t != c->want)) {
            print_error("'%s': rc %d, got %lld, want %lld\n", c->in, rc,
                        t, c->want);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

static void
test_date_null_and_size(void **state)
{
    char buf[2048];
    long long t = SENTINEL;
    (void)state;
    assert_int_equal(date_parse(NULL, &t), CUR_EINVAL);
    assert_int_equal(date_parse("2026-11-03", NULL), CUR_EINVAL);
    assert_int_equal(t, SENTINEL);

    /* 4095 digits. */
    memset(buf, '9', sizeof buf - 1);
    buf[sizeof buf - 1] = '\0';
    assert_int_equal(date_parse(buf, &t), CUR_EINVAL);
    assert_int_equal(t, SENTINEL);

    /* Exactly DATE_MAX_LEN bytes is read; one more is refused. */
    memset(buf, '0', sizeof buf);
    memcpy(buf, "2026-11-03T08:30:00.", 20);
    memcpy(buf + DATE_MAX_LEN - 1, "Z", 2);
    assert_int_equal(strlen(buf), DATE_MAX_LEN);
    assert_int_equal(date_parse(buf, &t), CUR_OK);
    assert_int_equal(t, 1793694600LL);
    t = SENTINEL;
    memcpy(buf + DATE_MAX_LEN - 1, "0Z", 3);
    assert_int_equal(date_parse(buf, &t), CUR_EINVAL);
    assert_int_equal(t, SENTINEL);

    /* White space around does not count against the limit. */
    memset(buf, ' ', 600);
    memcpy(buf + 200, "Tue, 03 Nov 2026 08:30:00 GMT", 29);
    buf[600] = '\0';
    assert_int_equal(date_parse(buf, &t), CUR_OK);
    assert_int_equal(t, 1793694600LL);

    /* Comments: 100 levels deep is fine, unbalanced is not. */
    t = SENTINEL;
    strcpy(buf, "Tue, 03 Nov 2026 08:30:00 GMT ");
    size_t n = strlen(buf);
    memset(buf + n, '(', 100);
    memset(buf + n + 100, ')', 100);
    buf[n + 200] = '\0';
    assert_int_equal(date_parse(buf, &t), CUR_OK);
    assert_int_equal(t, 1793694600LL);
    t = SENTINEL;
    buf[n + 199] = '\0';
    assert_int_equal(date_parse(buf, &t), CUR_EINVAL);
    assert_int_equal(t, SENTINEL);
}

/* Every prefix of every case, copied into a buffer of exactly its size
 * so that valgrind and ASan see any read past the end. */
static void
test_date_prefixes(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof date_cases / sizeof date_cases[0]; i++) {
        size_t len = strlen(date_cases[i].in);
        for (size_t k = 0; k <= len; k++) {
            char *s = malloc(k + 1);
            long long t = SENTINEL;
            assert_non_null(s);
            memcpy(s, date_cases[i].in, k);
            s[k] = '\0';
            if (date_parse(s, &t) == CUR_OK)
                assert_true(t >= 0 && t <= TIME_MAX);
            else
                assert_int_equal(t, SENTINEL);
            free(s);
        }
    }
}

/* Random bytes, and cases with one byte replaced. */
static void
test_date_garbage(void **state)
{
    unsigned long x = 12345;
    static const char alphabet[] = "0123456789-:+TZ ,.()/ GMTNovJanWed"
                                   "\x80\xff\t";
    (void)state;
    for (int round = 0; round < 20000; round++) {
        size_t len;
        char *s;
        long long t = SENTINEL;

        x = x * 6364136223846793005UL + 1442695040888963407UL;
        len = (x >> 33) % 300;
        s = malloc(len + 1);
        assert_non_null(s);
        for (size_t k = 0; k < len; k++) {
            x = x * 6364136223846793005UL + 1442695040888963407UL;
            s[k] = (round & 1) ? (char)((x >> 40) % 255 + 1)
                 : alphabet[(x >> 40) % (sizeof alphabet - 1)];
        }
        s[len] = '\0';
        if (date_parse(s, &t) == CUR_OK)
            assert_true(t >= 0 && t <= TIME_MAX);
        else
            assert_int_equal(t, SENTINEL);
        date_parse_duration(s, &t);
        free(s);
    }
    for (size_t i = 0; i < sizeof date_cases / sizeof date_cases[0]; i++) {
        size_t len = strlen(date_cases[i].in);
        for (size_t k = 0; k < len; k++) {
            char *s = malloc(len + 1);
            long long t = SENTINEL;
            assert_non_null(s);
            memcpy(s, date_cases[i].in, len + 1);
            s[k] = (char)0xff;
            if (date_parse(s, &t) == CUR_OK)
                assert_true(t >= 0 && t <= TIME_MAX);
            free(s);
        }
    }
}

struct duration_case {
    const char *in;
    long long want;                 /* seconds, or BAD */
};

static const struct duration_case duration_cases[] = {
    { "3600", 3600 }, { "0", 0 }, { "7", 7 }, { "59:05", 3545 },
    { "0:59", 59 }, { "1:02:03", 3723 }, { "01:02:03", 3723 },
    { "90:00", 5400 }, { "100:00:00", 360000 }, { " 45:30 ", 2730 },
    { "00:45:30.000", 2730 }, { "3600.5", 3600 },
    { "123456789", 123456789 }, { "999999999:59:59", 3599999999999LL },
    { "", BAD }, { " ", BAD }, { "1:60", BAD }, { "1:2", BAD },
    { "1:02:60", BAD }, { "1:60:00", BAD }, { "1:02:03:04", BAD },
    { "-5", BAD }, { "+5", BAD }, { "abc", BAD }, { "1:02:", BAD },
    { ":30", BAD }, { "1234567890", BAD }, { "1 :02", BAD },
    { "1:02 :03", BAD }, { "3600s", BAD }, { "1.5.5", BAD },
    { "PT1H", BAD }, { "1:002", BAD }, { "3600.", BAD },
    { "59:05\xc2\xa0", BAD },
};

static void
test_duration_table(void **state)
{
    size_t failures = 0;
    (void)state;
    for (size_t i = 0; i < sizeof duration_cases / sizeof duration_cases[0];
         i++) {
        const struct duration_case *c = &duration_cases[i];
        long long t = SENTINEL;
        int rc = date_parse_duration(c->in, &t);
        if (c->want == BAD && (rc != CUR_EINVAL || t != SENTINEL)) {
            print_error("duration '%s' accepted as %lld\n", c->in, t);
            failures++;
        } else if (c->want != BAD && (rc != CUR_OK || t != c->want)) {
            print_error("duration '%s': rc %d, got %lld, want %lld\n",
                        c->in, rc, t, c->want);
            failures++;
        }
    }
    assert_int_equal(date_parse_duration(NULL, NULL), CUR_EINVAL);
    assert_int_equal(failures, 0);
}

static void
test_date_format(void **state)
{
    char buf[32];
    (void)state;
    assert_string_equal(date_format(0, buf, sizeof buf),
                        "1970-01-01T00:00:00Z");
    assert_string_equal(date_format(1793694600LL, buf, sizeof buf),
                        "2026-11-03T08:30:00Z");
    assert_string_equal(date_format(951782400LL, buf, sizeof buf),
                        "2000-02-29T00:00:00Z");
    assert_string_equal(date_format(TIME_MAX, buf, sizeof buf),
                        "9999-12-31T23:59:59Z");
    assert_string_equal(date_format(-1, buf, sizeof buf),
                        "1969-12-31T23:59:59Z");
    assert_string_equal(date_format(TIME_MAX + 1, buf, sizeof buf), "?");
    assert_string_equal(date_format(LLONG_MAX, buf, sizeof buf), "?");
    assert_string_equal(date_format(LLONG_MIN, buf, sizeof buf), "?");
    /* 21 bytes is enough, 20 is not. */
    assert_string_equal(date_format(0, buf, 21), "1970-01-01T00:00:00Z");
    assert_string_equal(date_format(0, buf, 20), "?");
    buf[0] = 'x';
    assert_string_equal(date_format(0, buf, 1), "");
    assert_ptr_equal(date_format(0, buf, 0), buf);
}

/* date_format() against the C library's gmtime_r(), and date_parse()
 * reading back what date_format() wrote, across the whole range. */
static void
test_date_round_trip(void **state)
{
    char buf[32], ref[32];
    (void)state;
    for (long long t = 0; t <= TIME_MAX; t += 7654321097LL) {
        for (int k = 0; k < 3; k++) {
            long long u = t + k * 86399LL, back = SENTINEL;
            time_t tt = (time_t)u;
            struct tm tm;
            if (u > TIME_MAX)
                break;
            assert_non_null(gmtime_r(&tt, &tm));
            strftime(ref, sizeof ref, "%Y-%m-%dT%H:%M:%SZ", &tm);
            assert_string_equal(date_format(u, buf, sizeof buf), ref);
            assert_int_equal(date_parse(buf, &back), CUR_OK);
            assert_int_equal(back, u);
        }
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_date_table),
        cmocka_unit_test(test_date_null_and_size),
        cmocka_unit_test(test_date_prefixes),
        cmocka_unit_test(test_date_garbage),
        cmocka_unit_test(test_duration_table),
        cmocka_unit_test(test_date_format),
        cmocka_unit_test(test_date_round_trip),
    };
    return cmocka_run_group_tests_name("date", tests, NULL, NULL);
}
