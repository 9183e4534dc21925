/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Sources and sinks. A source is where the events come from: the live
 * session (live/session.c: the kernel programs and their ring) or a
 * capture (offline/capture.c: the same per-packet path on the host). A
 * sink is what a mode does with them: the trace (trace.c: handshake
 * records) or top (top.c: the flood view once per interval). Every mode
 * runs on every source; each side knows only this interface.
 */
#ifndef SS_SINK_H
#define SS_SINK_H

#include <stdint.h>
#include "cli/options.h"
#include "synscope.h"

struct hs_stats;
struct ss_whowhy;
struct ss_exporter;
struct ss_tcpstat_reader;
struct flood_epoch;

/* What a source offers its sink. */
/* As many interfaces as a live source may trace (-i any). */
#define SS_SOURCE_IFACES 256

struct ss_source {
	const struct ss_options *o;
	int live;
	/* Added to an event's stamp: UTC ns (live: realtime minus monotonic
	 * at the start; offline: 0, capture time is UTC already). */
	int64_t utc_offset;
	/* Offline: the capture's name, shown for every record's interface. */
	const char *fixed_ifname;
	/* What is traced, for top's screen ("vs0: xdp(native) in, tcx out"). */
	const char *title;
	/* The source's clock at its last tick (live: CLOCK_MONOTONIC ns;
	 * offline: the latest record's time). */
	uint64_t clock;
	/* How late an event may reach the sink after its stamp: the trace
	 * times out only what is older (live: a poll period and then some;
	 * offline: 0, events come in capture order). */
	uint64_t late_ns;
	/* Live: the kernel's verdicts come (sink->verdict), so a decided
	 * record waits for them (late_ns). */
	int verdicts;
	/* Live: who and why (cgroups, causes), the namespace's TCP
	 * statistics, --metrics' exporter. NULL where there is none. */
	struct ss_whowhy *ww;
	struct ss_tcpstat_reader *tcp;
	struct ss_exporter *exp;
	/* The kernel's counters (or the replay's): every interface, summed;
	 * once the source has ended, the final ones. 0 or -errno. */
	int (*counters)(struct ss_source *src, uint64_t out[SS_C_MAX]);
	/* top: pending SYN-ACKs younger than --timeout at now (the older
	 * ones are cleared, as the trace times them out). */
	uint64_t (*half_open)(struct ss_source *src, uint64_t now_ns);
	/* top: the flood maps of the epoch since the last call (and a new
	 * one begins): its SYNs, per target, the heavy sources. 0 or
	 * -errno. */
	int (*flood)(struct ss_source *src, struct flood_epoch *out);
	/* The interfaces traced (at most SS_SOURCE_IFACES): where a verdict
	 * that names none, or another device, may belong. */
	int (*ifindexes)(struct ss_source *src, uint32_t *out, int max);
	void *impl;
};

struct ss_sink {
	void *ctx;
	/* Before anything is attached or read: 0, or -1 with one line
	 * printed (a p0f database that does not load). */
	int (*start)(void *ctx, struct ss_source *src);
	/* One event; a SYN or SYN-ACK is the struct ss_event of a struct
	 * ss_event_syn. */
	void (*event)(void *ctx, const struct ss_event *ev);
	/* One of the kernel's verdicts (live, with CAP_PERFMON), after the
	 * events it may concern. */
	void (*verdict)(void *ctx, const struct ss_verdict *v);
	/* The source's clock moved to now_ns (live: after each drain;
	 * offline: before a later record). Nonzero: stop (-c reached, the
	 * output's reader gone). */
	int (*tick)(void *ctx, struct ss_source *src, uint64_t now_ns);
	/* The source is about to wait for input (a capture read from a
	 * pipe): write out what is held. NULL: nothing held. */
	void (*idle)(void *ctx);
	/* Everything read, the counters final: the last records and the
	 * summary. 0, or 1 after a failure it printed. */
	int (*end)(void *ctx, struct ss_source *src);
	/* For --metrics: the engine's figures, and the established records
	 * made after -c was reached (not printed). 0 when filled. */
	int (*figures)(void *ctx, struct hs_stats *st, uint64_t *established_unprinted);
	void (*free)(void *ctx);
};

/* The two modes (trace.c, top.c); -1 with one line printed when out of
 * memory. */
int ss_trace_sink(const struct ss_options *o, struct ss_sink *sink);
int ss_top_sink(const struct ss_options *o, struct ss_sink *sink);

#endif /* SS_SINK_H */
