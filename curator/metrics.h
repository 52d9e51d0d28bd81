/* Process-wide counters and histograms for /metrics, written in the
 * Prometheus text exposition format (version 0.0.4). Updates are atomic
 * (any thread); names and label sets are fixed here, so a label value can
 * never come from outside input unchecked: HTTP routes and statuses are
 * bucketed by the caller into the known set.
 */
#ifndef CURATOR_METRICS_H
#define CURATOR_METRICS_H

#include <stddef.h>

#include "buf.h"
#include "store.h"

/* Feeds polled, by HTTP status class: 2xx, 304, 3xx, 4xx, 5xx, or
 * "error" for a transport failure (status 0). */
void metrics_poll(int status, long long bytes, int new_items);
/* One scoring run: how long it took and how many items it scored. */
void metrics_scored(double seconds, long long items);
void metrics_mail(int sent, int failed);
/* One HTTP request: route is a fixed name ("today", "static", "login",
 * "api", "other"...; at most 31 bytes, [a-z_] only, else "other"). */
void metrics_http(const char *route, int status);

/* Append the exposition of everything to 'out', with gauges read from
 * the store (feeds by state, outbox depth). Returns CUR_OK or an error
 * (CUR_ENOMEM, a store error). */
int metrics_render(struct store *st, struct buf *out);

/* Zero everything (tests). */
void metrics_reset(void);

#endif
