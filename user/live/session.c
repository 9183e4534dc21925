// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* One live session for every live mode (see session.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "engine/handshake.h"
#include "fleet/exporter.h"
#include "live/fleet.h"
#include "host/tcpstat.h"
#include "host/whowhy.h"
#include "live/loader.h"
#include "live/ring.h"
#include "live/session.h"
#include "live/top_maps.h"
#include "out/fmt.h"
#include "out/pcap_write.h"

/* The rings are polled (there is no wakeup): soon again after a drain that
 * found events, else after a longer sleep, so an event waits at most
 * SS_POLL_IDLE_US (and the loop's other work) before the sink has it. */
#define SS_POLL_BUSY_US 1000
#define SS_POLL_IDLE_US 10000
/* What the trace waits for late events before timing a handshake out. */
#define SS_LATE_NS (200ull * 1000000)
/* How often a lost interface is looked for. */
#define SS_IFACE_CHECK_NS 1000000000ull
/* The end: drain rounds until the ring is empty and the counters read
 * the same twice (a program that began before the detach ends within
 * microseconds). */
#define SS_SETTLE_ROUNDS 200
#define SS_SETTLE_SLEEP_US 1000

struct ss_session {
	struct ss_source src;
	struct ss_sink *sink;
	struct ss_loader l;
	struct ss_ring ring;
	struct ss_fleet fleet;
	struct ss_top_maps *maps;       /* top: the kernel's flood maps */
	struct ss_pcap_writer *pw;      /* -w */
	char title[512];
	uint64_t uncopied;              /* -w: events whose packet the kernel
					 * could not copy (not in the file) */
	uint64_t half_open;
	int detached;
	uint64_t final[SS_C_MAX];       /* the counters once detached */
};

static int counters(struct ss_source *src, uint64_t out[SS_C_MAX])
{
	struct ss_session *s = src->impl;

	if (s->detached) {
		memcpy(out, s->final, sizeof(s->final));
		return 0;
	}
	return ss_loader_counters(&s->l, out);
}

static uint64_t half_open(struct ss_source *src, uint64_t now_ns)
{
	struct ss_session *s = src->impl;

	s->half_open = ss_loader_sweep(&s->l, now_ns, src->o->timeout_ns);
	return s->half_open;
}

static int flood_targets(struct ss_source *src, struct flood_target *out, int max)
{
	struct ss_session *s = src->impl;

	return ss_top_maps_targets(s->maps, out, max);
}

static int flood_sources(struct ss_source *src, struct flood_source *out, int max)
{
	struct ss_session *s = src->impl;

	return ss_top_maps_sources(s->maps, out, max);
}

/* One event, read in place: its slot stays ours until the drain publishes
 * the consumer position, and nothing keeps a pointer into it. */
static void on_event(void *arg, const struct ss_event *ev, const struct ss_event_raw *raw)
{
	struct ss_session *s = arg;

	if (s->pw && raw) {
		/* Stamped on output's clock: the same printed times. A failed
		 * write is kept by the writer; the batch's flush says. */
		if (raw->caplen)
			ss_pw_write(s->pw, ev->ts_ns + s->src.utc_offset,
				    raw->caplen < SS_SNAP_MAX ? raw->caplen : SS_SNAP_MAX,
				    raw->wire_len, raw->data);
		else
			s->uncopied++;
	}
	s->sink->event(s->sink->ctx, ev);
}

static void publish(struct ss_session *s, uint64_t now, int wait)
{
	struct hs_stats st;
	uint64_t unprinted = 0;
	int have;

	if (!s->fleet.exp || (!wait && !ss_exporter_due(s->fleet.exp, now)))
		return;
	have = s->sink->figures && s->sink->figures(s->sink->ctx, &st, &unprinted) == 0;
	ss_fleet_publish(&s->fleet, &s->l, have ? &st : NULL, unprinted, s->ring.read, s->half_open,
			 now, wait);
}

/* Stop the kernel's side, then take everything it wrote: detach (the
 * counters stop moving), and drain until the rings are empty and two reads
 * of the counters agree. */
static void settle(struct ss_session *s)
{
	uint64_t again[SS_C_MAX];
	int i;

	ss_loader_detach(&s->l);
	ss_loader_counters(&s->l, s->final);
	for (i = 0; i < SS_SETTLE_ROUNDS; i++) {
		long n = ss_ring_consume(&s->ring, on_event, s);

		if (ss_loader_counters(&s->l, again))
			break;
		if (n == 0 && memcmp(again, s->final, sizeof(again)) == 0)
			break;
		memcpy(s->final, again, sizeof(again));
		usleep(SS_SETTLE_SLEEP_US);
	}
	s->detached = 1;
}

/* The loop: drain, then let everything that runs once per batch run. */
static const char *trace(struct ss_session *s, volatile sig_atomic_t *stop)
{
	const struct ss_options *o = s->src.o;
	uint64_t start, last_check, last_sweep, now, sweep_ns;
	const char *lost = NULL;
	long n = 0;

	sweep_ns = (uint64_t)SS_PEND_SWEEP_UNITS << ss_pend_tshift(o->timeout_ns);
	start = last_check = last_sweep = ss_now_ns(CLOCK_MONOTONIC);
	while (!*stop) {
		/* A signal ends the sleep early. */
		usleep(n ? SS_POLL_BUSY_US : SS_POLL_IDLE_US);
		n = ss_ring_consume(&s->ring, on_event, s);
		now = s->src.clock = ss_now_ns(CLOCK_MONOTONIC);
		ss_loader_watch(&s->l, now);
		ss_whowhy_sample(s->src.ww, now, 0);
		if (now - last_sweep >= sweep_ns) {
			last_sweep = now;
			half_open(&s->src, now);
		}
		if (s->sink->tick(s->sink->ctx, &s->src, now))
			break;
		/* -w: a full disk, or the reader of -w - gone (said at close). */
		if (s->pw && ss_pw_flush(s->pw))
			break;
		publish(s, now, 0);
		if (o->duration > 0 && now - start >= (uint64_t)(o->duration * 1e9))
			break;
		if (now - last_check >= SS_IFACE_CHECK_NS) {
			last_check = now;
			if ((lost = ss_loader_lost_iface(&s->l)))
				break;
		}
	}
	return lost;
}

int ss_session_run(const struct ss_options *o, struct ss_sink *sink, volatile sig_atomic_t *stop)
{
	struct ss_session s = { .sink = sink };
	const char *lost = NULL;
	char err[256];
	int ret = 1, traced = 0, ring_open = 0;
	long e;

	s.src = (struct ss_source){
		.o = o, .live = 1, .late_ns = SS_LATE_NS, .counters = counters,
		.half_open = half_open, .flood_targets = flood_targets,
		.flood_sources = flood_sources, .impl = &s,
		.utc_offset = (int64_t)(ss_now_ns(CLOCK_REALTIME) - ss_now_ns(CLOCK_MONOTONIC)),
	};
	/* -w first: a file that cannot be written fails before anything is
	 * attached (and is created with the privileges dropped later). */
	if (o->write_file) {
		s.pw = ss_pw_open(o->write_file, SS_DLT_EN10MB, o->snaplen, err, sizeof(err));
		if (!s.pw) {
			fprintf(stderr, "synscope: %s\n", err);
			return 1;
		}
	}
	if (sink->start(sink->ctx, &s.src) || ss_fleet_start(&s.fleet, o))
		goto out;
	s.src.exp = s.fleet.exp;
	/* Why handshakes fail: the namespace's TCP statistics, if readable. */
	s.src.tcp = ss_tcpstat_open(err, sizeof(err));
	if (!s.src.tcp)
		fprintf(stderr, "synscope: %s: %s\n", o->top ? "no TCP statistics" : "no failure causes",
			err);
	s.src.ww = ss_whowhy_new(!o->top, s.src.tcp, o->timeout_ns);
	if (!s.src.ww) {
		fprintf(stderr, "synscope: out of memory\n");
		goto out;
	}
	if (ss_loader_load(&s.l, o, err, sizeof(err)) ||
	    ss_loader_attach_all(&s.l, o, err, sizeof(err))) {
		fprintf(stderr, "synscope: %s\n", err);
		goto out;
	}
	traced = 1;
	{
		struct ss_ring_maps rm;

		ss_loader_ring_maps(&s.l, o->write_file != NULL, &rm);
		if (ss_ring_open(&s.ring, &rm, err, sizeof(err))) {
			fprintf(stderr, "synscope: %s\n", err);
			goto out;
		}
	}
	ring_open = 1;
	if (o->top && !(s.maps = ss_top_maps_new(&s.l))) {
		fprintf(stderr, "synscope: out of memory\n");
		goto out;
	}
	if (ss_loader_drop_privs(&s.l, o->verbose) || ss_fleet_serve(&s.fleet))
		goto out;
	ss_loader_describe(&s.l, s.title, sizeof(s.title));
	s.src.title = s.title;
	fprintf(stderr, "synscope: tracing %s (Ctrl-C to stop)\n", s.title);
	ss_whowhy_sample(s.src.ww, ss_now_ns(CLOCK_MONOTONIC), 1);
	if (sink->tick(sink->ctx, &s.src, ss_now_ns(CLOCK_MONOTONIC)) == 0) {
		lost = trace(&s, stop);
		ret = 0;
	} else {
		ret = 0;
	}
out:
	if (ring_open)
		settle(&s);
	if (traced) {
		if (sink->end(sink->ctx, &s.src))
			ret = 1;
		/* The last snapshot is the summary's figures. */
		publish(&s, ss_now_ns(CLOCK_MONOTONIC), 1);
		ss_whowhy_sample(s.src.ww, ss_now_ns(CLOCK_MONOTONIC), 1);
		ss_whowhy_summary(s.src.ww, stderr);
		if (s.uncopied)
			fprintf(stderr, "synscope: %lu handshake packets could not be copied (not in %s)\n",
				(unsigned long)s.uncopied, o->write_file);
	}
	/* A reader of -w - that went away ends the trace quietly, as one of
	 * stdout does. */
	if (s.pw && (e = ss_pw_close(s.pw, err, sizeof(err))) < 0 && e != -EPIPE) {
		fprintf(stderr, "synscope: %s\n", err);
		ret = 1;
	}
	if (ring_open)
		ss_ring_close(&s.ring);
	ss_top_maps_free(s.maps);
	ss_fleet_stop(&s.fleet);
	ss_whowhy_free(s.src.ww);
	ss_tcpstat_close(s.src.tcp);
	ss_loader_close(&s.l);
	if (lost) {
		fprintf(stderr, "synscope: interface %s disappeared while tracing\n", lost);
		ret = 1;
	}
	return ret;
}
