/* Dates as feeds write them, turned into Unix time (UTC). */
#ifndef CURATOR_DATE_H
#define CURATOR_DATE_H

/* Parse an RFC 822/1123 date ("Tue, 03 Nov 2026 09:30:00 +0100", day
 * name and seconds optional, two-digit years and US zone names accepted)
 * or an RFC 3339/ISO 8601 date ("2026-11-03T09:30:00.5-05:00", also a
 * bare date). Leading and trailing white space is ignored. Returns
 * CUR_OK with *out set, or CUR_EINVAL. */
int date_parse(const char *s, long long *out);

/* Format 't' as RFC 3339 UTC ("2026-11-03T08:30:00Z") into buf (at least
 * 21 bytes). Returns buf. */
char *date_format(long long t, char *buf, unsigned long len);

#endif
