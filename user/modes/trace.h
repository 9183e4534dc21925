/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The trace as an object, for the sinks built on it: the trace's own
 * (ss_trace_sink, sink.h) and top's, which runs one quietly (records
 * made and counted, not printed) for its summary.
 */
#ifndef SS_TRACE_H
#define SS_TRACE_H

#include <stdint.h>
#include "cli/options.h"
#include "engine/latency.h"
#include "modes/sink.h"

struct ss_trace;

/* quiet: make the records, print none. NULL when out of memory. */
struct ss_trace *ss_trace_new(const struct ss_options *o, int quiet);
void ss_trace_free(struct ss_trace *t);
/* The sink's parts (sink.h). summary: write the exit summary. */
int ss_trace_start(struct ss_trace *t, struct ss_source *src);
void ss_trace_event(struct ss_trace *t, const struct ss_event *ev);
void ss_trace_verdict(struct ss_trace *t, const struct ss_verdict *v);
int ss_trace_tick(struct ss_trace *t, uint64_t now_ns);
int ss_trace_end(struct ss_trace *t, int summary);
int ss_trace_figures(const struct ss_trace *t, struct hs_stats *st,
		     uint64_t *established_unprinted);
/* Emit what the engine still holds (ss_trace_end does it too). */
void ss_trace_flush(struct ss_trace *t);
/* Every record's latencies so far: [0] syn>synack, [1] synack>ack. */
const struct ss_lat_hist *ss_trace_latency(const struct ss_trace *t);

#endif /* SS_TRACE_H */
