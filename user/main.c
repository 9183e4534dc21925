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
#include "flood.h"
#include "handshake.h"
#include "loader.h"
#include "options.h"
#include "output.h"
#include "privs.h"

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
	uint64_t records;
};

static void on_record(const struct hs_record *r, void *arg)
{
	struct live *lv = arg;

	ss_out_record(&lv->out, r);
	if (lv->o->count && ++lv->records >= lv->o->count)
		exiting = 1;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct live *lv = ctx;
	struct ss_event ev;

	if (size < sizeof(ev))
		return 0;
	/* Copy out: the ring slot is released when we return. */
	memcpy(&ev, data, sizeof(ev));
	/* In the kernel only completing ACKs become events, so every event
	 * is a handshake packet worth a --packets line. */
	if (lv->o->packets)
		ss_out_packet(&lv->out, &ev);
	hs_feed(lv->eng, &ev);
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
	struct ring_buffer *rb = NULL;
	struct ss_loader l = { 0 };
	struct hs_stats st;
	struct live lv = { .o = o };
	uint64_t counters[SS_C_MAX], start, last_check, now;
	const char *lost = NULL;
	char err[256], desc[512];
	int ret = 1, traced = 0, e;

	lv.out.f = stdout;
	lv.out.json = o->json;
	lv.out.explain = o->explain;
	lv.out.ts_offset_ns = (int64_t)(ss_now_ns(CLOCK_REALTIME) - ss_now_ns(CLOCK_MONOTONIC));
	lv.eng = hs_new(&cfg, on_record, &lv);
	if (!lv.eng) {
		fprintf(stderr, "synscope: out of memory\n");
		return 1;
	}
	if (ss_loader_load(&l, o, err, sizeof(err))) {
		fprintf(stderr, "synscope: %s\n", err);
		goto out;
	}
	if (attach_all(&l, o))
		goto out;
	traced = 1;
	rb = ring_buffer__new(ss_loader_ringbuf_fd(&l), on_event, &lv, NULL);
	if (!rb) {
		fprintf(stderr, "synscope: cannot open the ring buffer: %s\n", strerror(errno));
		goto out;
	}
	if (ss_loader_drop_privs(&l, o->verbose))
		goto out;
	ss_loader_describe(&l, desc, sizeof(desc));
	fprintf(stderr, "synscope: tracing %s (Ctrl-C to stop)\n", desc);

	start = last_check = ss_now_ns(CLOCK_MONOTONIC);
	while (!exiting) {
		e = ring_buffer__poll(rb, SS_POLL_MS);
		/* Wakeups are batched in the kernel: drain on every timeout. */
		if (e >= 0)
			e = ring_buffer__consume(rb);
		if (e < 0 && e != -EINTR) {
			fprintf(stderr, "synscope: ring buffer: %s\n", strerror(-e));
			goto out;
		}
		now = ss_now_ns(CLOCK_MONOTONIC);
		if (now > SS_ADVANCE_SLACK_NS)
			hs_advance(lv.eng, now - SS_ADVANCE_SLACK_NS);
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
		ring_buffer__consume(rb);
	ret = 0;
out:
	if (ret == 0 && !(o->count && lv.records >= o->count))
		hs_flush(lv.eng);
	/* The summary follows a trace; a failure to start is one line only. */
	hs_get_stats(lv.eng, &st);
	if (traced && ss_loader_counters(&l, counters) == 0)
		ss_out_summary(stderr, &st, counters);
	ring_buffer__free(rb);
	ss_loader_close(&l);
	hs_free(lv.eng);
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
	/* Line-buffered even into a pipe, so `synscope -o json | jq` is live. */
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
