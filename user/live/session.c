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
#include "host/reasons.h"
#include "host/tcpstat.h"
#include "host/whowhy.h"
#include "live/loader.h"
#include "live/ring.h"
#include "live/session.h"
#include "live/top_maps.h"
#include "live/verdict.h"
#include "out/fmt.h"
#include "out/pcap_write.h"

/* The rings are polled (there is no wakeup): soon again after a drain that
 * found events, else after a longer sleep, so an event waits at most
 * SS_POLL_IDLE_US (and the loop's other work) before the sink has it. */
#define SS_POLL_BUSY_US 1000
#define SS_POLL_IDLE_US 10000
/* What the trace waits for late events before timing a handshake out. */
#define SS_LATE_NS (200ull * 1000000)
/* Verdicts waiting for the events they may concern: read in one loop,
 * given to the sink after the next loop's drain (a packet's event is in
 * its ring before the kernel can drop the packet). */
#define SS_VERDICTS_HELD 4096
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
	struct ss_verdicts *vd;         /* the kernel's verdicts, or NULL */
	struct ss_reasons *reasons;     /* ... their names */
	struct ss_verdict held[SS_VERDICTS_HELD];
	int nheld;
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

static int flood(struct ss_source *src, struct flood_epoch *out)
{
	struct ss_session *s = src->impl;

	return ss_top_maps_read(s->maps, out);
}

static int ifindexes(struct ss_source *src, uint32_t *out, int max)
{
	struct ss_session *s = src->impl;
	int i, j, n = 0;

	for (i = 0; i < s->l.natt && n < max; i++) {
		for (j = 0; j < n && out[j] != (uint32_t)s->l.att[i].ifindex; j++)
			;
		if (j == n)
			out[n++] = (uint32_t)s->l.att[i].ifindex;
	}
	return n;
}

static void hold_verdict(void *arg, const struct ss_verdict *v)
{
	struct ss_session *s = arg;

	/* Full: the oldest held go to the sink now. */
	if (s->nheld == SS_VERDICTS_HELD) {
		int i;

		for (i = 0; i < s->nheld; i++)
			s->sink->verdict(s->sink->ctx, &s->held[i]);
		s->nheld = 0;
	}
	s->held[s->nheld++] = *v;
}

/* The verdicts held since the last loop to the sink, then the new ones
 * held (all given when last: the events are all read). */
static void pass_verdicts(struct ss_session *s, int last)
{
	int i;

	if (!s->vd)
		return;
	for (i = 0; i < s->nheld; i++)
		s->sink->verdict(s->sink->ctx, &s->held[i]);
	s->nheld = 0;
	ss_verdicts_consume(s->vd, hold_verdict, s);
	if (last) {
		for (i = 0; i < s->nheld; i++)
			s->sink->verdict(s->sink->ctx, &s->held[i]);
		s->nheld = 0;
	}
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
	ss_verdicts_detach(s->vd);
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
	pass_verdicts(s, 1);
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
		pass_verdicts(s, 0);
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
	char err[256], vd_off[256] = "", tcp_off[256] = "";
	int ret = 1, traced = 0, ring_open = 0;
	long e;

	s.src = (struct ss_source){
		.o = o, .live = 1, .late_ns = SS_LATE_NS, .counters = counters,
		.half_open = half_open, .flood = flood, .ifindexes = ifindexes, .impl = &s,
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
	/* The kernel's verdicts, with CAP_PERFMON: loaded first, while every
	 * capability is there. Without them, said once. */
	s.vd = ss_verdicts_open(o->verbose, err, sizeof(err));
	if (s.vd && !(s.reasons = ss_reasons_load(err, sizeof(err)))) {
		ss_verdicts_close(s.vd);
		s.vd = NULL;
	}
	if (!s.vd)
		snprintf(vd_off, sizeof(vd_off), "%s", err);
	s.src.verdicts = s.vd != NULL;
	if (sink->start(sink->ctx, &s.src) || ss_fleet_start(&s.fleet, o))
		goto out;
	s.src.exp = s.fleet.exp;
	/* Why handshakes fail: the namespace's TCP statistics, if readable. */
	s.src.tcp = ss_tcpstat_open(err, sizeof(err));
	if (!s.src.tcp)
		snprintf(tcp_off, sizeof(tcp_off), "%s", err);
	{
		struct ss_whowhy_config wc = { .cgroups = !o->top, .tcp = s.src.tcp,
					       .reasons = s.reasons, .listeners = 1,
					       .timeout_ns = o->timeout_ns };

		s.src.ww = ss_whowhy_new(&wc);
	}
	if (!s.src.ww) {
		fprintf(stderr, "synscope: out of memory\n");
		goto out;
	}
	if (ss_loader_load(&s.l, o, s.vd ? ss_verdicts_acks_fd(s.vd) : -1, err, sizeof(err)) ||
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
	/* What is off, said once, only once tracing (an error stays one line). */
	if (!s.vd)
		fprintf(stderr, "synscope: no kernel verdicts (%s): causes come from the listeners' "
			"queues only\n", vd_off);
	if (!s.src.tcp)
		fprintf(stderr, "synscope: no TCP statistics of the namespace: %s\n", tcp_off);
	if (ss_whowhy_cgroups_off(s.src.ww))
		fprintf(stderr, "synscope: no cgroup paths (%s): cgroups print as their ids\n",
			ss_whowhy_cgroups_off(s.src.ww));
	fprintf(stderr, "synscope: tracing %s (Ctrl-C to stop)\n", s.title);
	ss_whowhy_sample(s.src.ww, ss_now_ns(CLOCK_MONOTONIC), 1);
	if (sink->tick(sink->ctx, &s.src, ss_now_ns(CLOCK_MONOTONIC)) == 0)
		lost = trace(&s, stop);
	ret = 0;
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
		if (s.vd) {
			uint64_t vc[SS_VD_C_MAX];

			if (ss_verdicts_counters(s.vd, vc) == 0)
				fprintf(stderr, "synscope: kernel verdicts: %lu on handshake packets "
					"(%lu lost, ring full)\n", (unsigned long)vc[SS_VD_C_EVENTS],
					(unsigned long)vc[SS_VD_C_LOST]);
		}
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
	ss_verdicts_close(s.vd);
	ss_reasons_free(s.reasons);
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
