// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * top: the flood view, one summary per --interval of the source's clock
 * (live: monotonic time; offline: capture time, counted from the first
 * record). Each interval: the counters' differences, SYNs per target and
 * the heavy sources from the flood maps (sink.h: the kernel's, or the
 * host build's), half-open, the alerts; then out/flood_view.c prints it.
 * The handshakes themselves go through a quiet trace (trace.h), so the
 * exit summary is the trace's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "engine/accounts.h"
#include "host/tcpstat.h"
#include "out/flood_view.h"
#include "out/fmt.h"
#include "modes/sink.h"
#include "sketch.h"
#include "modes/trace.h"

/* Offline, a run of at least this many intervals without a record is not
 * printed interval by interval: its first is (it carries the end of any
 * alert), then one note says how many were left out. */
#define TOP_MAX_EMPTY 3600
/* An interval ending this close to --duration's end is the last: end() closes it. */
#define TOP_END_SLACK_NS (100ull * 1000000)

struct top {
	const struct ss_options *o;
	struct ss_trace *trace;
	enum flood_style style;
	struct flood_alerts alerts;
	uint64_t period;             /* --interval in ns */
	int started;
	uint64_t iv_start, iv_end;   /* the interval in progress: [start, end) */
	uint64_t stop_ns;            /* live --duration: when the run ends; else ~0 */
	uint64_t prev[SS_C_MAX];     /* the counters at its start */
	struct ss_tcpstat tcp_prev;  /* live: the namespace's statistics then */
	int have_tcp;
	int failed;                  /* a map could not be read */
	struct flood_interval iv;
	struct flood_epoch epoch;
	struct ss_lat_hist lat_prev[2]; /* the trace's latencies at the interval's start */
};

static int start(void *ctx, struct ss_source *src)
{
	struct top *t = ctx;

	/* Live to a terminal, a screen; else a line or an object each. */
	t->style = t->o->json ? FLOOD_JSON
		 : src->live && isatty(STDOUT_FILENO) ? FLOOD_SCREEN : FLOOD_LINE;
	/* Offline, intervals are written faster than anyone reads along. */
	if (!src->live && !isatty(STDOUT_FILENO))
		setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	return ss_trace_start(t->trace, src);
}

/* A capture from a pipe has nothing more yet: the intervals written so
 * far go out (stdout is fully buffered offline). */
static void idle(void *ctx)
{
	(void)ctx;
	fflush(stdout);
}

static void event(void *ctx, const struct ss_event *ev)
{
	ss_trace_event(((struct top *)ctx)->trace, ev);
}

static void verdict(void *ctx, const struct ss_verdict *v)
{
	ss_trace_verdict(((struct top *)ctx)->trace, v);
}

static void interval_tcp(struct top *t, struct ss_source *src, struct flood_interval *iv)
{
	struct ss_tcpstat now;
	int k;

	if (!t->have_tcp || ss_tcpstat_read(src->tcp, &now))
		return;
	iv->have_tcp = 1;
	iv->tcp.have = t->tcp_prev.have & now.have;
	for (k = 0; k < SS_TS_MAX; k++)
		iv->tcp.v[k] = now.v[k] >= t->tcp_prev.v[k] ? now.v[k] - t->tcp_prev.v[k] : 0;
	t->tcp_prev = now;
}

/* Close the interval in progress at end_ns, print it, start the next. */
static int close_interval(struct top *t, struct ss_source *src, uint64_t end_ns)
{
	struct flood_interval *iv = &t->iv;
	uint64_t c[SS_C_MAX];

	memset(iv, 0, sizeof(*iv));
	iv->ts_ns = (int64_t)end_ns + src->utc_offset;
	iv->interval_s = (double)(end_ns - t->iv_start) / 1e9;
	/* The SYNs, per target and per source from the flood maps' epoch,
	 * one window; the rest from the counters, read just after it
	 * closed. */
	if (src->flood(src, &t->epoch) || src->counters(src, c))
		return -1;
	iv->syn = t->epoch.syn;
	iv->synack = c[SS_C_SYNACK] - t->prev[SS_C_SYNACK];
	iv->established = c[SS_C_ACK_COMPLETE] - t->prev[SS_C_ACK_COMPLETE];
	iv->rst = c[SS_C_RST] - t->prev[SS_C_RST];
	iv->events = c[SS_C_EVENTS] - t->prev[SS_C_EVENTS];
	iv->shed = c[SS_C_SHED] - t->prev[SS_C_SHED];
	iv->lost = c[SS_C_LOST] - t->prev[SS_C_LOST];
	memcpy(t->prev, c, sizeof(c));
	iv->ntargets = flood_top_targets(t->epoch.targets, t->epoch.ntargets, FLOOD_TOP_MAX);
	memcpy(iv->targets, t->epoch.targets, iv->ntargets * sizeof(*iv->targets));
	iv->nsources = flood_top_sources(t->epoch.sources, t->epoch.nsources, FLOOD_TOP_MAX);
	memcpy(iv->sources, t->epoch.sources, iv->nsources * sizeof(*iv->sources));
	iv->half_open = src->half_open(src, end_ns);
	ss_lat_sub(&iv->lat[0], &ss_trace_latency(t->trace)[0], &t->lat_prev[0]);
	ss_lat_sub(&iv->lat[1], &ss_trace_latency(t->trace)[1], &t->lat_prev[1]);
	memcpy(t->lat_prev, ss_trace_latency(t->trace), sizeof(t->lat_prev));
	interval_tcp(t, src, iv);
	flood_alerts_update(&t->alerts, iv);
	flood_print(stdout, t->style, src->title ? src->title : "", iv, &t->alerts, t->o->top_n);
	t->iv_start = end_ns;
	t->iv_end = end_ns + t->period;
	return 0;
}

/* Offline: intervals [from, to) without a record, n of them, left out. */
static void note_gap(struct top *t, uint64_t from, uint64_t to, uint64_t n)
{
	char a[40], b[40];

	ss_fmt_utc((int64_t)from, a, sizeof(a));
	ss_fmt_utc((int64_t)to, b, sizeof(b));
	if (t->style == FLOOD_JSON)
		printf("{\"type\":\"gap\",\"from\":\"%s\",\"to\":\"%s\",\"intervals\":%lu}\n", a, b,
		       (unsigned long)n);
	else
		printf("%s no records until %s: %lu empty intervals not shown\n", a, b,
		       (unsigned long)n);
}

static int tick(void *ctx, struct ss_source *src, uint64_t now_ns)
{
	struct top *t = ctx;
	uint64_t empty;

	if (!t->started) {
		t->started = 1;
		t->iv_start = now_ns;
		t->iv_end = now_ns + t->period;
		t->stop_ns = src->live && t->o->duration > 0 ?
			     now_ns + (uint64_t)(t->o->duration * 1e9) : UINT64_MAX;
		/* From here on, as the counters: from the attach, or from
		 * the first record. */
		if (src->counters(src, t->prev))
			return t->failed = 1;
		t->have_tcp = src->tcp && ss_tcpstat_read(src->tcp, &t->tcp_prev) == 0;
		return ss_trace_tick(t->trace, now_ns);
	}
	if (now_ns >= t->iv_end) {
		if (src->live) {
			uint64_t slack = t->period / 4 < TOP_END_SLACK_NS ? t->period / 4
									 : TOP_END_SLACK_NS;

			/* The interval that --duration ends is closed by end():
			 * --interval 1 --duration 3 prints three lines, not
			 * three and a sliver. */
			if (t->iv_end + slack >= t->stop_ns)
				return ss_trace_tick(t->trace, now_ns);
			/* Live, the interval ends when it is read. */
			if (close_interval(t, src, now_ns))
				return t->failed = 1;
		} else {
			/* Offline, at its boundary; whole intervals without a
			 * record follow, a long run of them as one note. */
			if (close_interval(t, src, t->iv_end))
				return t->failed = 1;
			empty = (now_ns - t->iv_start) / t->period;
			if (empty >= TOP_MAX_EMPTY) {
				close_interval(t, src, t->iv_end);
				empty--;
				note_gap(t, t->iv_start, t->iv_start + empty * t->period, empty);
				/* Nothing changes in them: the counters, the
				 * maps stay empty, the alerts ended in the
				 * interval printed. */
				t->iv_start += empty * t->period;
				t->iv_end = t->iv_start + t->period;
				empty = 0;
			}
			while (empty--)
				close_interval(t, src, t->iv_end);
		}
		if (ferror(stdout))
			return 1;
	}
	return ss_trace_tick(t->trace, now_ns);
}

/* The interval in progress, partial, then the trace's summary. Every SYN
 * counted is in some interval. */
static int end(void *ctx, struct ss_source *src)
{
	struct top *t = ctx;
	int ret;

	if (t->started && !t->failed && !ferror(stdout)) {
		uint64_t now = src->live ? ss_now_ns(CLOCK_MONOTONIC) : src->clock;

		/* The records still held belong to the last interval. */
		ss_trace_flush(t->trace);
		if (close_interval(t, src, now > t->iv_start ? now : t->iv_start))
			t->failed = 1;
	}
	ret = ss_trace_end(t->trace, 1);
	/* -o json: the whole run's accounts, last. */
	if (t->style == FLOOD_JSON && t->started && !t->failed) {
		struct hs_stats st;
		struct ss_accounts a;
		uint64_t c[SS_C_MAX], unprinted;

		if (ss_trace_figures(t->trace, &st, &unprinted) == 0 && src->counters(src, c) == 0) {
			ss_accounts_make(&a, c, &st, unprinted);
			flood_print_summary(stdout, &st, &a, c);
		}
	}
	if (fflush(stdout) == EOF && errno != EPIPE) {
		fprintf(stderr, "synscope: stdout: %s\n", strerror(errno));
		ret = 1;
	}
	if (t->failed) {
		fprintf(stderr, "synscope: cannot read the flood maps\n");
		ret = 1;
	}
	return ret;
}

static int figures(void *ctx, struct hs_stats *st, uint64_t *established_unprinted)
{
	return ss_trace_figures(((struct top *)ctx)->trace, st, established_unprinted);
}

static void sink_free(void *ctx)
{
	struct top *t = ctx;

	ss_trace_free(t->trace);
	free(t);
}

int ss_top_sink(const struct ss_options *o, struct ss_sink *sink)
{
	struct top *t = calloc(1, sizeof(*t));

	if (t)
		t->trace = ss_trace_new(o, 1);
	if (!t || !t->trace) {
		free(t);
		fprintf(stderr, "synscope: out of memory\n");
		return -1;
	}
	t->o = o;
	t->period = (uint64_t)(o->interval * 1e9 + 0.5);
	if (t->period == 0)
		t->period = 1;
	t->alerts.syn_rate = o->alert_syn_rate;
	t->alerts.incomplete_pct = o->alert_incomplete;
	*sink = (struct ss_sink){ .ctx = t, .start = start, .event = event, .verdict = verdict, .tick = tick,
				  .idle = idle, .end = end, .figures = figures, .free = sink_free };
	return 0;
}
