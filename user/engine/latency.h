/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Latency histograms: the SYN to SYN-ACK and SYN-ACK to ACK times of the
 * records, in log-scale buckets from 10 us to 10 s (1-2.5-5 steps). The
 * same buckets everywhere: the metrics' histograms (fleet/exporter.c),
 * the exit summary and top's intervals (out/latency_view.c), so their
 * counts can be checked against each other. Pure C.
 */
#ifndef SS_LATENCY_H
#define SS_LATENCY_H

#include <stdint.h>

#define SS_LAT_BUCKETS 19

/* The buckets' upper bounds, in microseconds (a record's latencies are
 * whole microseconds); past the last is +Inf. */
extern const uint64_t ss_lat_bounds_us[SS_LAT_BUCKETS];

struct ss_lat_hist {
	uint64_t n[SS_LAT_BUCKETS + 1]; /* in (bound[i-1], bound[i]]; the last: above */
	uint64_t count, sum_us;
};

/* One latency; a negative one (absent) is not counted. */
void ss_lat_add(struct ss_lat_hist *h, int64_t us);
/* a - b, bucket by bucket (an interval's share of a running total). */
void ss_lat_sub(struct ss_lat_hist *out, const struct ss_lat_hist *a, const struct ss_lat_hist *b);

#endif /* SS_LATENCY_H */
