// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * bench_prog: what ss_xdp_ingress costs per packet, next to an XDP program
 * that only returns XDP_PASS (bench/pass.bpf.c), measured in one run with
 * BPF_PROG_TEST_RUN.
 *
 *   bench_prog xdp [REPEAT [ROUNDS]]   the table (default 10000000, 3)
 *   bench_prog stats SECONDS           hold BPF run-time statistics on for
 *                                      SECONDS (bpf_enable_stats: they go
 *                                      off again when this process exits)
 *   bench_prog listen ADDR PORT SECONDS  a TCP listener that never accepts,
 *                                      for SECONDS: the SYN flood's target
 *
 * Every case runs REPEAT times in one test run; the kernel reports the
 * mean time per run, opts.duration, in whole ns. ROUNDS passes over all
 * the cases; the table shows the median and the spread of the rounds.
 * (Wall-clock time is no use here: a test run with repeat > 1 swaps the
 * XDP dispatcher and waits for RCU, tens of ms outside opts.duration.)
 *
 * The SYN path writes a ring buffer event per run. Which path a case took
 * is printed from the program's own counters (events written, lost,
 * sampled out) over its measured runs. The loader's settings are kept:
 * a 4 MiB ring, a forced wakeup for each event once 1/8 of it is unread.
 *   ring drained  a thread on CPU 1 empties the ring every ~100 us while
 *                 the test run goes on CPU 0 (rate limit off, as with
 *                 --event-rate 0), so every event is written
 *   no reader     the ring starts empty (< 1/8) or 1/8 full (> 1/8: every
 *                 event forces a wakeup); REPEAT is cut to what fits
 *   ring full     nobody reads and the ring is full: the "lost" path
 *   sampled       the default --event-rate 20000 per CPU: in a burst of
 *                 millions nearly every SYN is over the rate, the path of
 *                 a SYN flood
 *
 * Needs root. Never asserts a timing: it measures and prints.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "synscope.h"
#include "../tests/packets.h"
#include "synscope.skel.h"
#include "bench_pass.skel.h"

#define RING_BYTES (4u << 20)          /* synscope's default --ringbuf-kib */
#define DEFAULT_EVENT_RATE 20000       /* synscope's default --event-rate */
#define MAX_ROUNDS 15

/* ---- one loaded synscope object ----------------------------------------- */

struct inst {
	const char *name;
	struct synscope_bpf *skel;
	struct ring_buffer *rb;
	int ncpus;
};

static int count_event(void *ctx, void *data, size_t size)
{
	(void)data;
	(void)size;
	(*(uint64_t *)ctx)++;
	return 0;
}

static uint64_t consumed; /* events consumed by the drain thread */

static int inst_load(struct inst *in, const char *name, uint32_t event_rate, int flood)
{
	struct synscope_bpf *s = synscope_bpf__open();

	in->name = name;
	in->ncpus = libbpf_num_possible_cpus();
	if (!s) {
		fprintf(stderr, "bench_prog: cannot open synscope.bpf.o: %s\n", strerror(errno));
		return -1;
	}
	/* As user/loader.c does for the defaults. */
	s->rodata->cfg_wakeup_bytes = RING_BYTES / 8;
	s->rodata->cfg_event_rate = event_rate;
	s->rodata->cfg_flood = flood;
	if (bpf_map__set_max_entries(s->maps.events, RING_BYTES) || synscope_bpf__load(s)) {
		fprintf(stderr, "bench_prog: cannot load synscope.bpf.o (%s): %s\n", name,
			strerror(errno));
		synscope_bpf__destroy(s);
		return -1;
	}
	in->skel = s;
	in->rb = ring_buffer__new(bpf_map__fd(s->maps.events), count_event, &consumed, NULL);
	if (!in->rb) {
		fprintf(stderr, "bench_prog: ring buffer: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static void inst_free(struct inst *in)
{
	ring_buffer__free(in->rb);
	synscope_bpf__destroy(in->skel);
}

/* Counters summed over CPUs. Either layout of the counters map: one
 * per-CPU value holding every counter, or one per-CPU slot per counter. */
static void read_counters(const struct inst *in, uint64_t sum[SS_C_MAX])
{
	const struct bpf_map *m = in->skel->maps.counters;
	uint32_t nslots = bpf_map__max_entries(m), vsize = bpf_map__value_size(m);
	uint32_t per = vsize / sizeof(uint64_t), stride = (vsize + 7) / 8, k;
	uint64_t *vals = calloc(in->ncpus, stride * sizeof(uint64_t));
	int cpu, i;

	memset(sum, 0, sizeof(uint64_t) * SS_C_MAX);
	for (k = 0; vals && k < nslots; k++) {
		if (bpf_map_lookup_elem(bpf_map__fd(m), &k, vals))
			break;
		for (cpu = 0; cpu < in->ncpus; cpu++)
			for (i = 0; i < (int)per && k * per + i < SS_C_MAX; i++)
				sum[k * per + i] += vals[cpu * stride + i];
	}
	free(vals);
}

static void clear_pending(const struct inst *in)
{
	int fd = bpf_map__fd(in->skel->maps.pending);
	struct ss_flow_key key;

	while (bpf_map_get_next_key(fd, NULL, &key) == 0)
		if (bpf_map_delete_elem(fd, &key))
			break;
}

/* ---- the drain thread ---------------------------------------------------- */

static struct ring_buffer *volatile drain_rb;
static volatile int drain_stop;
static unsigned drain_gap_us = 100; /* pause between drains: a batching reader */

static void pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void *drain_main(void *arg)
{
	(void)arg;
	pin_to(1);
	while (!drain_stop) {
		struct ring_buffer *rb = drain_rb;

		if (rb)
			ring_buffer__consume(rb);
		if (drain_gap_us)
			usleep(drain_gap_us);
	}
	return NULL;
}

/* Drain `in` completely from this thread (nothing else consumes now). */
static void drain_now(const struct inst *in)
{
	while (ring_buffer__consume(in->rb) > 0)
		;
}

/* ---- cases --------------------------------------------------------------- */

enum ring_mode { RING_NA, RING_DRAINED, RING_ROOM, RING_LAGGING, RING_FULL };

/* Bytes one event takes in the ring: the record and its 8-byte header. */
#define RING_REC ((uint32_t)(((sizeof(struct ss_event) + 7) & ~7ul) + 8))
/* Unread bytes from which every event asks for a wakeup (as the loader). */
#define RING_WAKE (RING_BYTES / 8)

struct bcase {
	const char *label;
	struct inst *in;          /* NULL: the bare XDP_PASS program */
	const struct tpkt *pkt;
	enum ring_mode ring;
	double ns_dur[MAX_ROUNDS];  /* opts.duration */
	uint64_t d[SS_C_MAX];       /* counter deltas, all rounds */
	uint64_t runs;
	int failed;
};

#define CASE(l, i, p, r) { .label = (l), .in = (i), .pkt = (p), .ring = (r) }

static int pass_fd;

static int run_case(struct bcase *c, int round, uint32_t repeat)
{
	uint64_t before[SS_C_MAX], after[SS_C_MAX];
	uint8_t out[TP_MAX + 256];
	int fd, i, err;

	/* No reader: stay below the wakeup threshold, or start above it
	 * and stay below full. */
	if (c->ring == RING_ROOM && repeat > RING_WAKE / RING_REC * 9 / 10)
		repeat = RING_WAKE / RING_REC * 9 / 10;
	if (c->ring == RING_LAGGING && repeat > (RING_BYTES - RING_WAKE) / RING_REC * 9 / 10)
		repeat = (RING_BYTES - RING_WAKE) / RING_REC * 9 / 10;
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = c->pkt->b,
		.data_size_in = c->pkt->len,
		.data_out = out,
		.data_size_out = sizeof(out),
		.repeat = repeat,
	);

	if (c->in) {
		fd = bpf_program__fd(c->in->skel->progs.ss_xdp_ingress);
		clear_pending(c->in);
		drain_now(c->in);
		if (c->ring == RING_FULL || c->ring == RING_LAGGING) {
			/* Full: SYNs until some are lost. Lagging: unread
			 * events just past the wakeup threshold. */
			LIBBPF_OPTS(bpf_test_run_opts, fill, .data_in = c->pkt->b,
				    .data_size_in = c->pkt->len,
				    .repeat = c->ring == RING_FULL ? 2 * RING_BYTES / RING_REC
								   : RING_WAKE / RING_REC + 1);
			bpf_prog_test_run_opts(fd, &fill);
		}
		if (c->ring == RING_DRAINED)
			drain_rb = c->in->rb;
		read_counters(c->in, before);
	} else {
		fd = pass_fd;
	}
	err = bpf_prog_test_run_opts(fd, &opts);
	if (c->in) {
		read_counters(c->in, after);
		drain_rb = NULL;
		usleep(1000); /* the drain thread lets go of the ring */
		for (i = 0; i < SS_C_MAX; i++)
			c->d[i] += after[i] - before[i];
		drain_now(c->in);
	}
	if (err || opts.retval != XDP_PASS) {
		fprintf(stderr, "bench_prog: %s: test run failed: %s (retval %u)\n", c->label,
			strerror(err ? -err : 0), opts.retval);
		c->failed = 1;
		return -1;
	}
	c->ns_dur[round] = opts.duration;
	c->runs += repeat;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, int n, double *lo, double *hi)
{
	double s[MAX_ROUNDS];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	*lo = s[0];
	*hi = s[n - 1];
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static const char *pct(uint64_t part, uint64_t whole, char *buf, size_t n)
{
	snprintf(buf, n, "%5.1f%%", whole ? 100.0 * part / whole : 0.0);
	return buf;
}

static int cmd_xdp(uint32_t repeat, int rounds)
{
	struct inst trace = { 0 }, sampled = { 0 }, top = { 0 };
	struct bench_pass *pass = NULL;
	struct tpkt syn4, synack4, ack4, syn6;
	struct tp_shape plain = { 0 }, ext6 = { 0 };
	struct tp_flow f, est;
	pthread_t drain;
	double base, base_lo, base_hi;
	int i, r, ret = 1, have_drain = 0;

	f = tp_flow_client(4, TP_SYN);
	tp_build(&syn4, &plain, &f);
	est = tp_flow_synack(&f);
	tp_build(&synack4, &plain, &est);
	/* An established segment of another flow: nothing pending for it. */
	est = tp_flow_client(4, TP_ACK);
	est.sport = 50000;
	tp_build(&ack4, &plain, &est);
	f = tp_flow_client(6, TP_SYN);
	ext6.n_ext6 = 2;
	ext6.ext6[0].type = TP_PROTO_HOPOPTS;
	ext6.ext6[1].type = TP_PROTO_DSTOPTS;
	tp_build(&syn6, &ext6, &f);

	if (inst_load(&trace, "trace", 0, 0) ||
	    inst_load(&sampled, "sampled", DEFAULT_EVENT_RATE, 0) ||
	    inst_load(&top, "top", DEFAULT_EVENT_RATE, 1))
		goto out;
	pass = bench_pass__open_and_load();
	if (!pass) {
		fprintf(stderr, "bench_prog: cannot load pass.bpf.o: %s\n", strerror(errno));
		goto out;
	}
	pass_fd = bpf_program__fd(pass->progs.bench_xdp_pass);

	struct bcase cases[] = {
		CASE("bare XDP_PASS program (bench/pass.bpf.c)", NULL, &syn4, RING_NA),
		CASE("IPv4 SYN, event written (ring drained)", &trace, &syn4, RING_DRAINED),
		CASE("IPv4 SYN, event written (no reader, < 1/8)", &trace, &syn4, RING_ROOM),
		CASE("IPv4 SYN, event written (no reader, > 1/8)", &trace, &syn4, RING_LAGGING),
		CASE("IPv4 SYN, ring full (lost path)", &trace, &syn4, RING_FULL),
		CASE("IPv4 SYN, over --event-rate 20000 (sampled)", &sampled, &syn4, RING_DRAINED),
		CASE("IPv4 SYN, top mode (flood maps, sampled)", &top, &syn4, RING_DRAINED),
		CASE("IPv4 SYN-ACK (pending insert + event)", &trace, &synack4, RING_DRAINED),
		CASE("IPv4 ACK, established, nothing pending", &trace, &ack4, RING_NA),
		CASE("IPv6 SYN + hop-by-hop + dest opts, event", &trace, &syn6, RING_DRAINED),
	};
	int ncases = sizeof(cases) / sizeof(cases[0]);

	pin_to(0);
	if (libbpf_num_possible_cpus() > 1 && sysconf(_SC_NPROCESSORS_ONLN) > 1) {
		if (pthread_create(&drain, NULL, drain_main, NULL) == 0)
			have_drain = 1;
	}
	if (!have_drain)
		fprintf(stderr, "bench_prog: one CPU only: drained cases measure a full ring\n");

	printf("XDP cost per packet: BPF_PROG_TEST_RUN of ss_xdp_ingress, repeat %u, "
	       "%d rounds (median [min-max] of the rounds)\n", repeat, rounds);
	printf("  packets: IPv4 SYN %u B (Linux options), SYN-ACK %u B, ACK %u B, "
	       "IPv6 SYN %u B (+8 B hop-by-hop, +8 B dest opts)\n",
	       syn4.len, synack4.len, ack4.len, syn6.len);
	printf("  test run on CPU 0; the ring drain thread on CPU 1, every %u us\n", drain_gap_us);
	fflush(stdout);

	/* Warm-up: load caches and JIT'd code once. */
	for (i = 0; i < ncases; i++) {
		struct bcase w = cases[i];

		if (run_case(&w, 0, repeat / 100 ? repeat / 100 : 1))
			goto out;
	}
	for (r = 0; r < rounds; r++)
		for (i = 0; i < ncases; i++)
			if (run_case(&cases[i], r, repeat))
				goto out;

	base = median(cases[0].ns_dur, rounds, &base_lo, &base_hi);
	printf("\n  %-46s %6s %11s %7s   %s\n", "case", "ns/pkt", "[min-max]", "x bare",
	       "path taken (share of the measured runs)");
	for (i = 0; i < ncases; i++) {
		struct bcase *c = &cases[i];
		char path[160], a[16], b[16], s[16], range[32];
		double lo, hi, med = median(c->ns_dur, rounds, &lo, &hi);

		if (!c->in)
			snprintf(path, sizeof(path), "baseline");
		else if (c->d[SS_C_SYN] + c->d[SS_C_SYNACK] + c->d[SS_C_RST] == 0)
			snprintf(path, sizeof(path), "no event (%s parsed as TCP)",
				 pct(c->d[SS_C_TCP], c->runs, a, sizeof(a)));
		else
			snprintf(path, sizeof(path), "event written %s, lost %s, sampled out %s",
				 pct(c->d[SS_C_EVENTS], c->runs, a, sizeof(a)),
				 pct(c->d[SS_C_LOST], c->runs, b, sizeof(b)),
				 pct(c->d[SS_C_SAMPLED_OUT], c->runs, s, sizeof(s)));
		snprintf(range, sizeof(range), "[%.0f-%.0f]", lo, hi);
		printf("  %-46s %6.0f %11s %6.1fx   %s\n", c->label, med, range,
		       base > 0 ? med / base : 0.0, path);
	}
	printf("  ns/pkt = opts.duration, the kernel's mean per run in whole ns (the bare\n"
	       "  program's few ns make its ratio coarse: +-1 ns there is +-%.0f%%).\n",
	       base > 0 ? 100.0 / base : 0.0);
	printf("  no reader: %u runs per round from an empty ring (< 1/8), %u from 1/8 full\n"
	       "  (> 1/8: past cfg_wakeup_bytes every submit asks BPF_RB_FORCE_WAKEUP).\n",
	       repeat < RING_WAKE / RING_REC * 9 / 10 ? repeat : RING_WAKE / RING_REC * 9 / 10,
	       repeat < (RING_BYTES - RING_WAKE) / RING_REC * 9 / 10 ? repeat :
	       (RING_BYTES - RING_WAKE) / RING_REC * 9 / 10);
	if (have_drain)
		printf("  drain thread consumed %lu events\n", (unsigned long)consumed);
	ret = 0;
out:
	if (have_drain) {
		drain_stop = 1;
		pthread_join(drain, NULL);
	}
	bench_pass__destroy(pass);
	inst_free(&top);
	inst_free(&sampled);
	inst_free(&trace);
	return ret;
}

static int cmd_stats(int seconds)
{
	int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);

	if (fd < 0) {
		fprintf(stderr, "bench_prog: cannot enable BPF run-time stats: %s\n",
			strerror(-fd));
		return 1;
	}
	printf("enabled\n");
	fflush(stdout);
	sleep(seconds);
	close(fd);
	return 0;
}

/* Listen and never accept: the kernel answers SYNs (with syncookies once
 * the queue is full), which is all a SYN flood target needs to do. */
static int cmd_listen(const char *addr, int port, int seconds)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons(port) };
	int v6 = strchr(addr, ':') != NULL, one = 1, fd;

	if (v6 ? inet_pton(AF_INET6, addr, &a6.sin6_addr) != 1
	       : inet_pton(AF_INET, addr, &a4.sin_addr) != 1) {
		fprintf(stderr, "bench_prog: bad address %s\n", addr);
		return 2;
	}
	fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, v6 ? (struct sockaddr *)&a6 : (struct sockaddr *)&a4,
		 v6 ? sizeof(a6) : sizeof(a4)) || listen(fd, 128)) {
		fprintf(stderr, "bench_prog: listen on %s:%d: %s\n", addr, port, strerror(errno));
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	sleep(seconds);
	close(fd);
	return 0;
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

int main(int argc, char **argv)
{
	libbpf_set_print(libbpf_quiet);
	if (getenv("BENCH_DRAIN_GAP_US"))
		drain_gap_us = atoi(getenv("BENCH_DRAIN_GAP_US"));
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && strcmp(argv[1], "xdp") == 0) {
		long repeat = argc > 2 ? strtol(argv[2], NULL, 10) : 10000000;
		long rounds = argc > 3 ? strtol(argv[3], NULL, 10) : 3;

		if (repeat < 1 || repeat > 100000000 || rounds < 1 || rounds > MAX_ROUNDS) {
			fprintf(stderr, "bench_prog: REPEAT 1..100000000, ROUNDS 1..%d\n",
				MAX_ROUNDS);
			return 2;
		}
		return cmd_xdp((uint32_t)repeat, (int)rounds);
	}
	if (argc == 3 && strcmp(argv[1], "stats") == 0) {
		long s = strtol(argv[2], NULL, 10);

		if (s < 1 || s > 3600)
			return 2;
		return cmd_stats((int)s);
	}
	if (argc == 5 && strcmp(argv[1], "listen") == 0) {
		long port = strtol(argv[3], NULL, 10), s = strtol(argv[4], NULL, 10);

		if (port < 1 || port > 65535 || s < 1 || s > 3600)
			return 2;
		return cmd_listen(argv[2], (int)port, (int)s);
	}
	fprintf(stderr, "usage: bench_prog xdp [REPEAT [ROUNDS]] | bench_prog stats SECONDS\n"
		"       bench_prog listen ADDR PORT SECONDS\n");
	return 2;
}
