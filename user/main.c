// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * synscope: trace TCP handshakes live (-i), from a capture file (-r), or
 * watch a SYN flood (top). This file wires the parts together: options,
 * loader, ring buffer, handshake engine, output.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "capture.h"
#include "exporter_live.h"
#include "flood.h"
#include "handshake.h"
#include "loader.h"
#include "metrics.h"
#include "options.h"
#include "output.h"
#include "pcap_write.h"
#include "privs.h"
#include "ring.h"
#include "tcpstat.h"
#include "cgroup.h"
#include "whowhy.h"

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return vfprintf(stderr, fmt, ap);
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

struct live {
	const struct ss_options *o;
	struct ss_out out;
	struct hs_engine *eng;
	struct ss_exporter *exp;    /* --metrics, or NULL */
	struct ss_whowhy *ww;       /* cgroups and causes, or NULL */
	struct ss_why why;          /* the record being written */
	uint64_t records;
	uint64_t ring_records;      /* ring records consumed */
	uint64_t short_records;     /* ring records too short for their kind */
	struct ss_pcap_writer *pw;  /* -w */
	uint64_t uncopied;          /* -w: events whose packet the kernel could
				     * not copy (not in the file) */
};

static void on_record(const struct hs_record *r, void *arg)
{
	struct live *lv = arg;

	ss_whowhy_explain(lv->ww, r, &lv->why);
	ss_out_record(&lv->out, r, lv->ww ? &lv->why : NULL);
	if (lv->exp)
		ss_exporter_record(lv->exp, r, &lv->why);
	if (lv->o->count && ++lv->records >= lv->o->count)
		exiting = 1;
}

/* One ring record. It is read in place: it stays ours until the batch
 * publishes its consumer position, and nothing keeps a pointer into it. */
static int on_event(void *ctx, const void *data, uint32_t size)
{
	const struct ss_event *ev = data;
	struct live *lv = ctx;
	uint32_t evsize = sizeof(*ev);

	lv->ring_records++;
	if (size >= sizeof(*ev) && (ev->kind == SS_EV_SYN || ev->kind == SS_EV_SYNACK))
		evsize = sizeof(struct ss_event_syn);
	/* With -w the packet follows the event (struct ss_event_raw). */
	if (size < evsize + (lv->pw ? sizeof(struct ss_event_raw) : 0)) {
		lv->short_records++;
		return 0;
	}
	if (lv->pw) {
		const struct ss_event_raw *raw = (const void *)((const uint8_t *)data + evsize);

		/* Output's clock: the same offset, the same printed times. A
		 * failed write is kept by the writer; the batch's flush says. */
		if (raw->caplen)
			ss_pw_write(lv->pw, ev->ts_ns + lv->out.ts_offset_ns,
				    raw->caplen < SS_SNAP_MAX ? raw->caplen : SS_SNAP_MAX,
				    raw->wire_len, raw->data);
		else
			lv->uncopied++;
	}
	/* In the kernel only completing ACKs become events, so every event
	 * is a handshake packet worth a --packets line. */
	if (lv->o->packets)
		ss_out_packet(&lv->out, ev);
	hs_feed(lv->eng, ev);
	return exiting ? -EINTR : 0;
}

static void setup_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Reading a capture needs no privilege at all: none is kept past the open. */
static void drop_all_privs(void)
{
	if (ss_privs_drop_all()) {
		fprintf(stderr, "synscope: cannot drop capabilities: %s\n", strerror(errno));
		exit(1);
	}
}

static int attach_all(struct ss_loader *l, const struct ss_options *o)
{
	char err[256];

	if (ss_loader_attach_all(l, o, err, sizeof(err))) {
		fprintf(stderr, "synscope: %s\n", err);
		return -1;
	}
	return 0;
}

/* Events arrive within one poll period; time out only what is older. */
#define SS_POLL_MS 50
#define SS_ADVANCE_SLACK_NS (200ull * 1000000)

static int run_live(const struct ss_options *o)
{
	struct hs_config cfg = { .timeout_ns = o->timeout_ns, .max_flows = o->max_flows };
	struct ss_loader l = { 0 };
	struct ss_ring ring = { .epfd = -1 };
	struct hs_stats st;
	struct live lv = { .o = o };
	struct ss_fleet fl = { 0 };
	struct ss_tcpstat_reader *tcp = NULL;
	uint64_t counters[SS_C_MAX], start, last_check, last_sweep, now, sweep_ns, pending = 0;
	const char *lost = NULL;
	char err[256], desc[512];
	int ret = 1, traced = 0, ring_open = 0;
	long e;

	/* -w first: a file that cannot be written fails before anything is
	 * attached (and is created with the privileges dropped later). */
	if (o->write_file) {
		lv.pw = ss_pw_open(o->write_file, SS_DLT_EN10MB, o->snaplen, err, sizeof(err));
		if (!lv.pw) {
			fprintf(stderr, "synscope: %s\n", err);
			return 1;
		}
	}
	/* -w -: the packets own stdout, the records go to stderr. */
	ss_out_init(&lv.out, ss_pw_records_fd(o->write_file), o->json, o->explain,
		    o->line_buffered,
		    (int64_t)(ss_now_ns(CLOCK_REALTIME) - ss_now_ns(CLOCK_MONOTONIC)), NULL);
	if (ss_out_load_p0f(&lv.out, o->p0f_db, err, sizeof(err))) {
		fprintf(stderr, "synscope: p0f database: %s\n", err);
		ss_out_free(&lv.out);
		ss_pw_close(lv.pw, err, sizeof(err));
		return 1;
	}
	lv.eng = hs_new(&cfg, on_record, &lv);
	if (!lv.eng) {
		fprintf(stderr, "synscope: out of memory\n");
		ss_out_free(&lv.out);
		ss_pw_close(lv.pw, err, sizeof(err));
		return 1;
	}
	if (ss_fleet_start(&fl, o))
		goto out;
	lv.exp = fl.exp;
	/* Why handshakes fail: the namespace's TCP statistics, if readable. */
	tcp = ss_tcpstat_open(err, sizeof(err));
	if (!tcp)
		fprintf(stderr, "synscope: no failure causes: %s\n", err);
	lv.ww = ss_whowhy_new(1, tcp, o->timeout_ns);
	if (!lv.ww) {
		fprintf(stderr, "synscope: out of memory\n");
		goto out;
	}
	if (ss_loader_load(&l, o, err, sizeof(err))) {
		fprintf(stderr, "synscope: %s\n", err);
		goto out;
	}
	if (attach_all(&l, o))
		goto out;
	traced = 1;
	if (ss_ring_open(&ring, ss_loader_ringbuf_fd(&l), err, sizeof(err))) {
		fprintf(stderr, "synscope: %s\n", err);
		goto out;
	}
	ring_open = 1;
	if (ss_loader_drop_privs(&l, o->verbose) || ss_fleet_serve(&fl))
		goto out;
	ss_loader_describe(&l, desc, sizeof(desc));
	fprintf(stderr, "synscope: tracing %s (Ctrl-C to stop)\n", desc);
	ss_whowhy_sample(lv.ww, ss_now_ns(CLOCK_MONOTONIC), 1);

	sweep_ns = (uint64_t)SS_PEND_SWEEP_UNITS << ss_pend_tshift(o->timeout_ns);
	start = last_check = last_sweep = ss_now_ns(CLOCK_MONOTONIC);
	while (!exiting) {
		e = ss_ring_wait(&ring, SS_POLL_MS);
		/* Wakeups are batched in the kernel: drain on every timeout. */
		if (e >= 0 || e == -EINTR)
			e = ss_ring_consume(&ring, on_event, &lv);
		if (e < 0 && e != -EINTR) {
			fprintf(stderr, "synscope: ring buffer: %s\n", strerror((int)-e));
			goto out;
		}
		now = ss_now_ns(CLOCK_MONOTONIC);
		ss_loader_watch(&l, now);
		ss_whowhy_sample(lv.ww, now, 0);
		if (now > SS_ADVANCE_SLACK_NS)
			hs_advance(lv.eng, now - SS_ADVANCE_SLACK_NS);
		/* One write per batch; a reader gone (| head) ends the trace. */
		if (ss_out_flush(&lv.out) == -EPIPE)
			break;
		/* -w: a full disk, or the reader of -w - gone (said at close). */
		if (lv.pw && ss_pw_flush(lv.pw))
			break;
		if (now - last_sweep >= sweep_ns) {
			last_sweep = now;
			pending = ss_loader_sweep(&l, now, o->timeout_ns);
		}
		ss_fleet_publish(&fl, &l, lv.eng, lv.ring_records, lv.short_records, pending, now, 0);
		if (o->duration > 0 && now - start >= (uint64_t)(o->duration * 1e9))
			break;
		if (now - last_check >= 1000000000ull) {
			last_check = now;
			lost = ss_loader_lost_iface(&l);
			if (lost)
				break;
		}
	}
	if (!lost && !(o->count && lv.records >= o->count))
		ss_ring_consume(&ring, on_event, &lv);
	ret = 0;
out:
	if (ret == 0 && !(o->count && lv.records >= o->count))
		hs_flush(lv.eng);
	ss_out_flush(&lv.out);
	/* The summary follows a trace; a failure to start is one line only. */
	hs_get_stats(lv.eng, &st);
	/* The last snapshot is the summary's figures. */
	if (traced)
		ss_fleet_publish(&fl, &l, lv.eng, lv.ring_records, lv.short_records, pending,
				 ss_now_ns(CLOCK_MONOTONIC), 1);
	if (traced && ss_loader_counters(&l, counters) == 0)
		ss_out_summary(stderr, &st, counters);
	if (traced) {
		ss_whowhy_sample(lv.ww, ss_now_ns(CLOCK_MONOTONIC), 1);
		ss_whowhy_summary(lv.ww, stderr);
	}
	if (lv.short_records)
		fprintf(stderr, "synscope: %lu ring records too short for their kind were skipped\n",
			(unsigned long)lv.short_records);
	if (lv.uncopied)
		fprintf(stderr, "synscope: %lu handshake packets could not be copied (not in %s)\n",
			(unsigned long)lv.uncopied, o->write_file);
	/* A reader of -w - that went away ends the trace quietly, as one of
	 * stdout does. */
	if (lv.pw && (e = ss_pw_close(lv.pw, err, sizeof(err))) < 0 && e != -EPIPE) {
		fprintf(stderr, "synscope: %s\n", err);
		ret = 1;
	}
	if (ring_open)
		ss_ring_close(&ring);
	ss_fleet_stop(&fl);
	ss_whowhy_free(lv.ww);
	ss_tcpstat_close(tcp);
	ss_loader_close(&l);
	hs_free(lv.eng);
	ss_out_free(&lv.out);
	if (lost) {
		fprintf(stderr, "synscope: interface %s disappeared while tracing\n", lost);
		ret = 1;
	}
	return ret;
}

int main(int argc, char **argv)
{
	struct ss_options o;
	char err[256];
	int r;

	r = ss_options_parse(argc, argv, &o, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "synscope: %s\n", err);
		return 2;
	}
	if (r > 0)
		return 0;
	/* A bad --metrics address is a wrong option like any other: exit 2. */
	if (o.metrics_addr && ss_metrics_check_spec(o.metrics_addr, err, sizeof(err))) {
		fprintf(stderr, "synscope: %s\n", err);
		return 2;
	}
	/* --cgroup names a cgroup2 directory, checked like any option. */
	if (o.cgroup_path) {
		struct ss_cgroups *cg = ss_cgroups_open();

		if (!cg || ss_cgroups_resolve(cg, o.cgroup_path, &o.cgroup_id, &o.cgroup_level,
					      err, sizeof(err))) {
			fprintf(stderr, "synscope: --cgroup %s\n", cg ? err : "out of memory");
			ss_cgroups_close(cg);
			return 2;
		}
		ss_cgroups_close(cg);
	}
	/* stdio is for top's intervals and --help: line-buffered even into a
	 * pipe, so `synscope top -o json | jq` is live. Records go through
	 * output.c's writer, flushed per batch. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	setup_signals();
	libbpf_set_print(o.verbose ? libbpf_print : libbpf_quiet);

	if (o.read_file) {
		ss_capture_on_open(drop_all_privs);
		return ss_capture_run(&o, &exiting);
	}
	if (ss_privs_check(err, sizeof(err))) {
		fprintf(stderr, "synscope: %s\n", err);
		return 1;
	}
	if (o.top)
		return ss_flood_run(&o, &exiting);
	return run_live(&o);
}
