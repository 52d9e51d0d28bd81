/* When each user's digest is due: the daily or weekly period that holds a
 * given instant, computed in the user's IANA time zone with ICU's
 * calendar (daylight saving time included), the next send time, and the
 * rule that decides whether a digest is due now.
 *
 * Pure functions of their arguments: no clock, no store, and no
 * process-wide time zone (TZ is never set), so any thread may call them.
 * The store keeps what was sent; digest.c and the daemon apply the rule.
 * Zone rules come from ICU's own data (which may be older than the
 * system's tzdata), not from /usr/share/zoneinfo.
 *
 * Send times. A daily digest is sent at hour:00 local time every local
 * day; a weekly one at hour:00 on one weekday. A day's send time is its
 * "nominal" local date at the send hour, turned into an instant so:
 *
 * - Spring forward: when hour:00 does not exist that day (it falls in
 *   the gap, e.g. 01:00 in London on 2026-03-29), the digest goes at the
 *   first instant after the gap, the moment the clock jumps to (02:00
 *   BST, which is 01:00 UTC). ICU: UCAL_WALLTIME_NEXT_VALID.
 * - Fall back: when hour:00 occurs twice (e.g. 01:00 in London on
 *   2026-10-25), the digest goes at the first occurrence (01:00 BST),
 *   and only then: the second 01:00 lies inside the period that the first
 *   one started. ICU: UCAL_WALLTIME_FIRST.
 * - A local date that does not exist at all (Samoa skipped 2011-12-30)
 *   has no send time; the period before it runs on to the next one.
 *
 * Periods. A daily period runs from one send time to the next (usually
 * 24 h; 23 or 25 h across a change of offset); a weekly one from the
 * send time on weekday W to the next (167 or 169 h across a change).
 * Every instant is in exactly one period [start, end), and end is the
 * start of the next period.
 */
#ifndef CURATOR_DIGEST_TIME_H
#define CURATOR_DIGEST_TIME_H

#include <stddef.h>

/* Longest zone name accepted, in bytes (the longest IANA name has 32). */
#define DIGEST_TZ_MAX 64
/* Size of a key buffer that always suffices ("2026-11-29", "2026-W48"). */
#define DIGEST_KEY_LEN 16
/* Instants accepted: 1970-01-01T00:00:00Z to 9999-12-01T00:00:00Z. */
#define DIGEST_T_MIN 0LL
#define DIGEST_T_MAX 253399622400LL

struct digest_when {
    int weekly;         /* 0 daily, 1 weekly */
    int weekday;        /* 0 Sunday .. 6 Saturday; weekly only */
    int hour;           /* local send hour, 0 .. 23 */
    const char *tz;     /* IANA zone, e.g. "Europe/London" (borrowed) */
};

/* Whether 'tz' names a time zone: 1 to DIGEST_TZ_MAX bytes of ASCII
 * letters, digits, '_', '-', '+' and '/', in non-empty '/'-separated
 * parts (so no "..", no leading '/', no control bytes), and known to
 * ICU as a system zone or alias ("Europe/London", "UTC", "US/Eastern";
 * not custom offsets like "GMT+5", nor "Etc/Unknown" or "Factory").
 * Names are case-sensitive, as in the tz database. Returns CUR_OK,
 * CUR_EINVAL, or CUR_ENOMEM. */
int digest_tz_valid(const char *tz);

/* The period holding instant 't' (Unix time): *start and *end (each may
 * be NULL) get its bounds, start <= t < end. 'key' (may be NULL with
 * keylen 0) gets the period's name, NUL-terminated:
 *
 * - daily: the nominal local date of the send time that starts it,
 *   "2026-11-29" (the local date the period starts on, except when a
 *   gap pushed the send time past midnight);
 * - weekly: the ISO 8601 week of that date, "2026-W48".
 *
 * The key is the same for every t in the period and differs between
 * periods of one schedule; it is meant for a deterministic Message-ID.
 * Different schedules (after the user changes hour or zone) can give
 * two periods the same key, so a Message-ID should also carry the
 * period start. keylen must be at least DIGEST_KEY_LEN when key is not
 * NULL. Returns CUR_OK, or CUR_EINVAL (bad schedule, zone, t out of
 * range or key too short; outputs unchanged), or CUR_ENOMEM. */
int digest_period(const struct digest_when *w, long long t,
                  long long *start, long long *end,
                  char *key, size_t keylen);

/* The first send time strictly after 'after', which is the end of the
 * period holding 'after'. Returns as digest_period(). */
int digest_next_send(const struct digest_when *w, long long after,
                     long long *next);

/* Whether a digest is due at 'now'. 'last_sent_start' is the start of
 * the most recent period a digest was recorded for (as the store keeps
 * it; 0: never). The current period P is the one holding 'now'; a digest
 * for P is due when none was recorded for it, i.e. last_sent_start <
 * start(P). Since P begins at its send time, now >= start(P) always.
 *
 * What this gives:
 * - a daemon down at the send time sends the missed digest once when it
 *   comes back within the period (the period lasts until the next send
 *   time); back later, it sends only the current period's;
 * - across restarts, at most one digest per period, provided the caller
 *   records start(P) (and the key) with the digest, atomically;
 * - a clock jumping backwards finds its period already recorded (or an
 *   older one) and sends nothing; a clock jumping forward over several
 *   periods sends one digest, for the period it lands in.
 *
 * *due gets 1 or 0; *period_start (may be NULL) and key (as in
 * digest_period()) describe P either way, so the caller records them
 * after sending. Returns as digest_period(). */
int digest_due(const struct digest_when *w, long long last_sent_start,
               long long now, int *due, long long *period_start,
               char *key, size_t keylen);

#endif
