/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The flood view ("synscope top"): one summary per interval. This part is
 * pure C (ranking, alerts, printing); top.c fills the intervals from the
 * live kernel's maps or the capture's.
 */
#ifndef SS_FLOOD_H
#define SS_FLOOD_H

#include <stdint.h>
#include <linux/types.h>
#include "host/tcpstat.h"
#include "sketch.h"
#include "engine/latency.h"
#include <stdio.h>
#include "cli/options.h"

#define FLOOD_TOP_MAX 100

struct flood_target {
	uint8_t family;
	uint16_t port;
	uint32_t addr[4];
	uint64_t syn;
};

struct flood_source {
	uint8_t family;
	uint32_t addr[4];
	uint64_t syn;
};

/* The flood maps of one epoch (an interval): the SYNs counted in it,
 * per target, and the heavy sources, all from the same window. */
struct flood_epoch {
	uint64_t syn;
	int ntargets, nsources;
	struct flood_target targets[SS_FLOOD_TARGETS];
	struct flood_source sources[SS_FLOOD_CANDIDATES];
};

/* Counts over one interval (not rates: divide by interval_s). */
struct flood_interval {
	int64_t ts_ns;             /* UTC time at the end of the interval */
	double interval_s;
	uint64_t syn, synack, established, rst;
	uint64_t half_open;        /* SYN-ACKs still waiting for their ACK */
	uint64_t shed, lost, events;
	int have_tcp;              /* the namespace's TCP statistics moved by: */
	struct ss_tcpstat tcp;     /* (live only; see tcpstat.h) */
	int ntargets, nsources;
	struct flood_target targets[FLOOD_TOP_MAX];
	struct flood_source sources[FLOOD_TOP_MAX];
	/* The latencies of the records made in the interval: syn>synack,
	 * synack>ack. */
	struct ss_lat_hist lat[2];
};

enum flood_alert { FLOOD_ALERT_SYN_RATE, FLOOD_ALERT_INCOMPLETE, FLOOD_ALERT_MAX };

struct flood_alerts {
	uint64_t syn_rate;         /* threshold in SYN/s, 0 = off */
	double incomplete_pct;     /* threshold, < 0 = off */
	int active[FLOOD_ALERT_MAX];
	int changed[FLOOD_ALERT_MAX]; /* +1 started, -1 ended, this interval */
};

/* Share of SYNs in the interval that did not complete, in percent. */
double flood_incomplete_pct(const struct flood_interval *iv);
/* Update alert states from one interval; sets changed[]. */
void flood_alerts_update(struct flood_alerts *a, const struct flood_interval *iv);

/* Keep the n largest by syn, sorted descending (in place). Returns count. */
int flood_top_targets(struct flood_target *t, int count, int n);
int flood_top_sources(struct flood_source *s, int count, int n);

enum flood_style { FLOOD_JSON, FLOOD_LINE, FLOOD_SCREEN };

/* One interval: JSON object, one text line, or a full screen (tty). */
void flood_print(FILE *f, enum flood_style style, const char *title,
		 const struct flood_interval *iv, const struct flood_alerts *a, int top_n);

struct hs_stats;
struct ss_accounts;

/* top -o json's last object: the handshakes, the events and the accounts
 * (engine/accounts.h) of the whole run; c: the kernel's counters. */
void flood_print_summary(FILE *f, const struct hs_stats *st, const struct ss_accounts *a,
			 const uint64_t *c);

#endif /* SS_FLOOD_H */
