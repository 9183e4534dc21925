/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * "synscope top -r FILE": the flood view over capture time. The capture
 * reader (capture.c) replays each record as the kernel would and tells this
 * part what the kernel's flood maps would have been told: every SYN that
 * passed the filters, and the capture clock. Each --interval of capture
 * time, counted from the first record's timestamp, becomes one struct
 * flood_interval, ranked, alerted on and printed by flood.c.
 *
 * Nothing here allocates or makes a system call per record; printing an
 * interval writes to a buffered stream.
 */
#ifndef SS_FLOOD_OFFLINE_H
#define SS_FLOOD_OFFLINE_H

#include <stdint.h>
#include <stdio.h>
#include "options.h"

/* A run of at least this many intervals without a record is not printed
 * interval by interval: its first interval is (it carries the end of any
 * alert), then one note says how many were left out. */
#define FLOOD_OFF_MAX_EMPTY 3600

/* The kernel's bounds: targets map and heavy_sources candidates. */
#define FLOOD_OFF_TARGETS 4096
#define FLOOD_OFF_CANDIDATES 1024

struct flood_off_config {
	const struct ss_options *o;     /* interval, alerts, top-n, -o json */
	FILE *out;
	/* The replay's cumulative counters (SS_C_*), read at each interval's
	 * end: syn, synack, established, rst and events are their deltas. */
	const uint64_t *counters;
	/* Half-open at end_ns: pending SYN-ACKs no older than --timeout.
	 * As live top does, older ones are dropped from the table. */
	uint64_t (*half_open)(void *arg, uint64_t end_ns);
	void *arg;
};

struct flood_offline;

struct flood_offline *flood_off_new(const struct flood_off_config *c);
void flood_off_free(struct flood_offline *f);

/*
 * The capture clock (never decreasing) before a record is accounted: the
 * first call starts the first interval; a later one closes and prints
 * every interval that ended at or before now_ns. Returns 1 when it
 * printed something, 0 otherwise.
 */
int flood_off_clock(struct flood_offline *f, uint64_t now_ns);

/* A SYN that passed the filters: the kernel's count_target() and
 * count_source(). Addresses in network order, dport in host order. */
void flood_off_syn(struct flood_offline *f, uint8_t family, const uint32_t *saddr,
		   const uint32_t *daddr, uint16_t dport);

/* End of the capture, now_ns being the latest record's time: print the
 * interval in progress, covering [its start, now_ns]. Nothing when no
 * record was seen. */
void flood_off_finish(struct flood_offline *f, uint64_t now_ns);

#endif /* SS_FLOOD_OFFLINE_H */
