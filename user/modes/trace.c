// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The trace: events into handshake records (engine/handshake.c), printed
 * as text or JSON lines (out/output.c), with who and why and --metrics
 * when the source is live. The same sink for a live session and for a
 * capture (sink.h); top runs it quietly, for its summary.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "engine/handshake.h"
#include "fleet/exporter.h"
#include "host/whowhy.h"
#include "out/latency_view.h"
#include "out/output.h"
#include "out/pcap_write.h"
#include "modes/sink.h"
#include "modes/trace.h"

struct ss_trace {
	const struct ss_options *o;
	int quiet;                 /* top: records counted, not printed */
	struct ss_source *src;
	struct ss_out out;
	int out_open;
	struct hs_engine *eng;
	struct ss_why why;         /* the record being written */
	uint64_t printed;          /* records printed */
	uint64_t unprinted[HS_OUTCOME_MAX]; /* made after -c was reached */
	int done;                  /* -c reached, or the output failed */
	int out_err;               /* -errno of the first failed write */
	/* Every record's latencies (printed or not, as the metrics count
	 * them): syn>synack, synack>ack. */
	struct ss_lat_hist lat[2];
};

static void on_record(const struct hs_record *r, void *arg)
{
	struct ss_trace *t = arg;
	struct ss_why *why = NULL;

	if (t->src->ww) {
		ss_whowhy_explain(t->src->ww, r, &t->why);
		why = &t->why;
	}
	if (t->src->exp)
		ss_exporter_record(t->src->exp, r, why ? why : &t->why);
	ss_lat_add(&t->lat[0], r->syn_to_synack_us);
	ss_lat_add(&t->lat[1], r->synack_to_ack_us);
	if (t->quiet)
		return;
	/* One batch (a timeout sweep) can hold more than -c asks for; what
	 * comes after is made, counted, and not printed. */
	if (t->printed >= t->o->count && t->o->count) {
		t->unprinted[r->outcome]++;
		return;
	}
	if (t->done)
		return;
	ss_out_record(&t->out, r, why);
	if (t->o->explain)
		ss_out_ladder(&t->out, r);
	if (t->o->count && ++t->printed >= t->o->count)
		t->done = 1;
}

static int start(void *ctx, struct ss_source *src)
{
	struct ss_trace *t = ctx;
	const struct ss_options *o = t->o;
	int fd = ss_pw_records_fd(o->write_file);
	struct hs_config cfg = { .timeout_ns = o->timeout_ns, .max_flows = o->max_flows,
				 .hold = src->verdicts };
	char err[256];

	t->src = src;
	/* Live, JSON lines are flushed per batch; a capture is read faster
	 * than anyone reads along: to a terminal lines, else whole buffers.
	 * -w - writes the packets to stdout, the records to stderr. */
	ss_out_init(&t->out, fd, o->json, o->explain,
		    o->line_buffered || (!src->live && isatty(fd)), src->utc_offset,
		    src->fixed_ifname);
	t->out_open = 1;
	if (!t->quiet && ss_out_load_p0f(&t->out, o->p0f_db, err, sizeof(err))) {
		fprintf(stderr, "synscope: p0f database: %s\n", err);
		return -1;
	}
	t->eng = hs_new(&cfg, on_record, t);
	if (!t->eng) {
		fprintf(stderr, "synscope: out of memory\n");
		return -1;
	}
	return 0;
}

/* Stop at the first failed write: nobody reads what follows. */
static void check_output(struct ss_trace *t, int e)
{
	if (!t->out_err && (e < 0 || t->out.w.err)) {
		t->out_err = e < 0 ? e : -t->out.w.err;
		t->done = 1;
	}
}

void ss_trace_event(struct ss_trace *t, const struct ss_event *ev)
{
	/* Only handshake packets become events (in the kernel, only the ACK
	 * that completes one), so each is worth a --packets line. */
	if (t->o->packets && !t->quiet && !t->done) {
		ss_out_packet(&t->out, ev);
		check_output(t, 0);
	}
	if (!t->quiet)
		ss_out_iface_seen(&t->out, ev->ifindex);
	hs_feed(t->eng, ev);
}

static void event(void *ctx, const struct ss_event *ev)
{
	ss_trace_event(ctx, ev);
}

void ss_trace_verdict(struct ss_trace *t, const struct ss_verdict *v)
{
	uint32_t alt[SS_SOURCE_IFACES];
	int n = t->src->ifindexes ? t->src->ifindexes(t->src, alt, SS_SOURCE_IFACES) : 0;

	hs_verdict(t->eng, v, alt, n);
}

static void verdict(void *ctx, const struct ss_verdict *v)
{
	ss_trace_verdict(ctx, v);
}

int ss_trace_tick(struct ss_trace *t, uint64_t now_ns)
{
	/* Events arrive up to late_ns after their stamp: time out only what
	 * is older. */
	if (now_ns > t->src->late_ns)
		hs_advance(t->eng, now_ns - t->src->late_ns);
	/* Live: one write per batch. */
	if (t->src->live && !t->quiet)
		check_output(t, ss_out_flush(&t->out));
	else
		check_output(t, 0);
	return t->done;
}

static int tick(void *ctx, struct ss_source *src, uint64_t now_ns)
{
	(void)src;
	return ss_trace_tick(ctx, now_ns);
}

/* The capture's writer has nothing more yet: what is held goes out. */
static void idle(void *ctx)
{
	struct ss_trace *t = ctx;

	if (!t->quiet)
		check_output(t, ss_out_flush(&t->out));
}

int ss_trace_end(struct ss_trace *t, int summary)
{
	uint64_t c[SS_C_MAX];
	struct hs_stats st;
	int have_c;

	if (!t->eng)
		return 0;
	/* What is still open is reported, but once -c is reached, not
	 * printed. */
	hs_flush(t->eng);
	check_output(t, ss_out_flush(&t->out));
	if (!t->src->live && fflush(stdout) == EOF)
		check_output(t, errno ? -errno : -EIO);
	hs_get_stats(t->eng, &st);
	have_c = t->src->counters(t->src, c) == 0;
	if (summary) {
		ss_out_summary(stderr, &st, have_c ? c : NULL, t->unprinted, t->o->count);
		ss_lat_print(stderr, "synscope: ", &t->lat[0], &t->lat[1]);
	}
	/* A reader gone (| head) is no news to tell. */
	if (t->out_err && t->out_err != -EPIPE) {
		fprintf(stderr, "synscope: stdout: %s\n", strerror(-t->out_err));
		return 1;
	}
	return 0;
}

static int end(void *ctx, struct ss_source *src)
{
	(void)src;
	return ss_trace_end(ctx, 1);
}

void ss_trace_flush(struct ss_trace *t)
{
	if (t->eng)
		hs_flush(t->eng);
}

const struct ss_lat_hist *ss_trace_latency(const struct ss_trace *t)
{
	return t->lat;
}

int ss_trace_figures(const struct ss_trace *t, struct hs_stats *st,
		     uint64_t *established_unprinted)
{
	if (!t->eng)
		return -1;
	hs_get_stats(t->eng, st);
	*established_unprinted = t->unprinted[HS_ESTABLISHED];
	return 0;
}

static int figures(void *ctx, struct hs_stats *st, uint64_t *established_unprinted)
{
	return ss_trace_figures(ctx, st, established_unprinted);
}

struct ss_trace *ss_trace_new(const struct ss_options *o, int quiet)
{
	struct ss_trace *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->o = o;
	t->quiet = quiet;
	return t;
}

int ss_trace_start(struct ss_trace *t, struct ss_source *src)
{
	return start(t, src);
}

void ss_trace_free(struct ss_trace *t)
{
	if (!t)
		return;
	hs_free(t->eng);
	if (t->out_open)
		ss_out_free(&t->out);
	free(t);
}

static void sink_free(void *ctx)
{
	ss_trace_free(ctx);
}

int ss_trace_sink(const struct ss_options *o, struct ss_sink *sink)
{
	struct ss_trace *t = ss_trace_new(o, 0);

	if (!t) {
		fprintf(stderr, "synscope: out of memory\n");
		return -1;
	}
	*sink = (struct ss_sink){ .ctx = t, .start = start, .event = event, .verdict = verdict, .tick = tick,
				  .idle = idle, .end = end, .figures = figures, .free = sink_free };
	return 0;
}
