/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What --metrics exports: synscope's figures as Prometheus families,
 * rendered by the metrics server's thread (user/fleet/metrics.c) from a snapshot
 * the tracing thread publishes. The tracing thread never waits for a
 * scrape: it publishes with a trylock, and a scrape that finds the
 * snapshot older than it likes asks for a fresh one and waits (briefly)
 * on its own thread.
 *
 * The figures are the exit summary's: every kernel counter per interface,
 * handshakes by interface, family, server port and outcome, the two
 * latencies as histograms, retransmissions, the engine's flows and
 * evictions, and the namespace's TCP statistics (user/host/tcpstat.h).
 */
#ifndef SS_EXPORTER_H
#define SS_EXPORTER_H

#include <net/if.h>
#include <stdint.h>
#include "engine/handshake.h"
#include "fleet/metrics.h"
#include "synscope.h"
#include "host/tcpstat.h"
#include "host/whowhy.h"

/* Server ports that get a label of their own, first seen first served;
 * the handshakes of every other port are counted under "other". */
#define SS_EXP_PORTS 64
/* Interfaces with series of their own (records of others: "other"). */
#define SS_EXP_IFACES 64

/* What the tracing thread knows at a publish, besides the records. */
struct ss_exp_inputs {
	const struct ss_iface_counters *ifaces;
	int nifaces;
	const struct hs_stats *hs;       /* the engine's figures, NULL: none */
	uint64_t established_unprinted;  /* established records -c left unprinted */
	const struct ss_tcpstat *tcp;    /* NULL when unreadable */
	uint64_t events_read;            /* events read from the rings */
	uint64_t pending;                /* live pending SYN-ACKs at the last sweep */
};

struct ss_exporter;

/* NULL when out of memory. */
struct ss_exporter *ss_exporter_new(void);
void ss_exporter_free(struct ss_exporter *x);

/* Tracing thread: one handshake record, and what whowhy made of it (NULL:
 * nothing). */
void ss_exporter_record(struct ss_exporter *x, const struct hs_record *r, const struct ss_why *why);
/* Tracing thread: is a scrape waiting for a fresh snapshot, or is the
 * last one older than a second? Cheap: call it every loop. */
int ss_exporter_due(struct ss_exporter *x, uint64_t now_ns);
/* Tracing thread: publish the records so far and in. wait = 0: give up
 * when the render thread holds the snapshot (it is due again next loop);
 * wait = 1 (at exit): take the lock. Returns 1 when published. */
int ss_exporter_publish(struct ss_exporter *x, const struct ss_exp_inputs *in, uint64_t now_ns,
			int wait);

/* Metrics thread: the render callback (ss_metrics_render_fn), arg = x. */
void ss_exporter_render(void *x, struct ss_prom *out);

/* For tests: the name of the family a kernel counter is exported as, and
 * its label (NULL when none), e.g. "synscope_unparsed_packets_total",
 * "reason=\"truncated\"". NULL for an index without one. */
const char *ss_exporter_counter_family(int counter, const char **label);

#endif /* SS_EXPORTER_H */
