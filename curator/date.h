/* Dates and durations as feeds write them, turned into Unix time (UTC)
 * and seconds. */
#ifndef CURATOR_DATE_H
#define CURATOR_DATE_H

/* Longest date or duration accepted, in bytes, after leading and
 * trailing white space is removed. Anything longer is refused. */
#define DATE_MAX_LEN 256

/* Parse a date in any of the forms feeds use:
 *
 * - RFC 822/1123/2822 ("Tue, 03 Nov 2026 09:30:00 +0100"): day name
 *   optional and ignored even when wrong, comma optional, seconds
 *   optional, no time at all means midnight; 2-digit years (< 50 is
 *   20xx, else 19xx), 3-digit years (+ 1900); month names full or
 *   abbreviated in any case; zones +hhmm, +hh:mm, GMT, UT, UTC, Z, the
 *   US zones, military letters (read as UTC, RFC 2822 section 4.3), a
 *   few other common names (CET, MEST, JST, ...), "GMT+0100", and a
 *   trailing "(comment)"; no zone means UTC.
 * - RFC 850 ("Thursday, 01-Jan-04 19:48:21 GMT"), asctime ("Sun Jan  4
 *   16:29:06 2004", also with a zone before the year), JavaScript
 *   ("Thu Aug 30 2012 17:26:16 GMT+0200 (CEST)"), a numeric date after
 *   a day name ("Sun, 2004-01-04 12:34:56 +01:00", "2006/09/15"), and
 *   AM/PM after the time.
 * - RFC 3339 / ISO 8601 / W3CDTF: extended and basic format
 *   ("2026-11-03T08:30:00Z", "20261103T083000Z"), ordinal dates
 *   ("2026-307", "2026307"), fractional seconds of any length after '.'
 *   or ',' (dropped), zone Z, +hh:mm, +hhmm, +hh or none (UTC), 't', 'z'
 *   or a space for 'T', "24:00:00" as the end of the day, and the
 *   partial dates "2026" (1 January) and "2026-11" (the 1st).
 *
 * Every field is range-checked (no rollover: "31 Jun" is refused), the
 * written year must be 1970 to 9999, and the result must lie between
 * 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z. A leap second (:60)
 * reads as :59. Leading and trailing white space is ignored; input
 * longer than DATE_MAX_LEN is refused. Returns CUR_OK with *out set, or
 * CUR_EINVAL with *out unchanged. */
int date_parse(const char *s, long long *out);

/* Parse an iTunes or Media RSS duration: "3600" (seconds), "59:05"
 * (minutes:seconds) or "1:02:03" (hours:minutes:seconds). The first
 * field has 1 to 9 digits and no upper bound; the others have exactly
 * two digits and must be below 60. A fraction after the last field
 * ("1:02:03.5") is dropped. White space around is ignored. Returns
 * CUR_OK with *seconds set, or CUR_EINVAL with *seconds unchanged. */
int date_parse_duration(const char *s, long long *seconds);

/* Format 't' as RFC 3339 UTC ("2026-11-03T08:30:00Z") into buf (at least
 * 21 bytes). If the year is outside 0 to 9999 or buf is too short, buf
 * holds "?" (cut to fit). Returns buf. */
char *date_format(long long t, char *buf, unsigned long len);

#endif
