// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The real BPF object, loaded through the skeleton, run with
 * BPF_PROG_TEST_RUN on crafted packets (tests/support/packets.h). For every run:
 * the verdict is "pass", the packet comes back unchanged, and the counter
 * deltas and ring buffer events are exactly the expected ones.
 *
 * Needs root (CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON).
 */
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#include "synscope.h"
#include "parse.h"
#include "packets.h"
#include "synscope.skel.h"
#include "live/loader.h"
#include "live/ring.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* BPF_PROG_TEST_RUN runs skb and XDP programs on the loopback device of
 * the caller's network namespace, which always has ifindex 1. */
#define LOOPBACK_IFINDEX 1
#define MAX_EVENTS 512

static const char *const counter_names[SS_C_MAX] = {
	"PACKETS", "NOT_IP", "NOT_TCP", "FRAGMENT", "BAD_TRUNCATED", "BAD_IPV4",
	"BAD_IPV6", "BAD_TCP", "FILTERED", "SYN", "SYNACK", "ACK_COMPLETE",
	"RST", "FIN", "PEND_EVICTED", "EVENTS", "LOST", "SAMPLED_OUT",
};

/* A counter added to synscope.h after this file shows up as "?". */
static const char *counter_name(int i)
{
	return counter_names[i] ? counter_names[i] : "?";
}

/* ---- programs ---------------------------------------------------------- */

enum prog_id { P_XDP, P_TC_IN, P_TC_EG, P_MAX };

static const struct {
	const char *name;
	__u32 retval;   /* the pass verdict */
	__u8 dir;
} progs[P_MAX] = {
	[P_XDP] = { "xdp_ingress", XDP_PASS, SS_DIR_IN },
	[P_TC_IN] = { "tc_ingress", (__u32)TC_ACT_UNSPEC, SS_DIR_IN },
	[P_TC_EG] = { "tc_egress", (__u32)TC_ACT_UNSPEC, SS_DIR_OUT },
};

/* ---- environment: a loaded skeleton and its event rings ----------------- */

struct env {
	struct synscope_bpf *skel;
	struct ss_ring ring;            /* the consumer synscope runs (live/ring.c) */
	struct ss_pend_set *pend;       /* the pending table, mapped */
	__u64 *occ;                     /* its groups' counts, mapped */
	int ncpus;
	struct ss_event_syn ev[MAX_EVENTS]; /* copied out by the last run (ev.e;
					     * the rest for a SYN or SYN-ACK) */
	int nev;                        /* events consumed by the last run */
};

/* Load-time configuration; all-zero = the defaults. */
struct cfg {
	__u16 ports[SS_MAX_PORTS];
	__u32 nports;
	__u8 host_v4, host_v6;
	__u32 ring_log2;                /* each CPU's ring: 2^this slots; 0 = 12 */
	__u8 pend_tshift;               /* 0 = as compiled */
	__u32 pend_live_t;              /* 0 = as compiled */
	__u32 shed_slots;               /* cfg_shed_slots; 0 = no shedding */
};

/* The pending table's key in every test environment: test_pend_*() place
 * flows in sets by computing ss_pend_locate() with it. */
#define TEST_KEY0 0x0123456789abcdefull
#define TEST_KEY1 0xfedcba9876543210ull

static void on_event(void *ctx, const struct ss_event *ev, const struct ss_event_raw *raw)
{
	struct env *e = ctx;
	int syn = ev->kind == SS_EV_SYN || ev->kind == SS_EV_SYNACK;

	(void)raw;
	if (e->nev < MAX_EVENTS)
		memcpy(&e->ev[e->nev], ev, syn ? sizeof(struct ss_event_syn) : sizeof(struct ss_event));
	e->nev++;
}

static struct env *env_new(const struct cfg *cfg)
{
	struct env *e = calloc(1, sizeof(*e));
	struct synscope_bpf *s;

	assert_non_null(e);
	e->ncpus = libbpf_num_possible_cpus();
	assert_true(e->ncpus > 0);
	s = synscope_bpf__open();
	assert_non_null(s);
	s->rodata->cfg_pend_key0 = TEST_KEY0;
	s->rodata->cfg_pend_key1 = TEST_KEY1;
	if (cfg) {
		memcpy(s->rodata->cfg_ports, cfg->ports, sizeof(cfg->ports));
		s->rodata->cfg_nports = cfg->nports;
		s->rodata->cfg_host_v4 = cfg->host_v4;
		s->rodata->cfg_host_v6 = cfg->host_v6;
		s->rodata->cfg_host_filter = cfg->host_v4 || cfg->host_v6;
		if (cfg->pend_tshift)
			s->rodata->cfg_pend_tshift = cfg->pend_tshift;
		if (cfg->pend_live_t)
			s->rodata->cfg_pend_live_t = cfg->pend_live_t;
		s->rodata->cfg_shed_slots = cfg->shed_slots;
	}
	assert_int_equal(ss_loader_size_rings(s, e->ncpus, cfg && cfg->ring_log2 ? cfg->ring_log2 : 12,
					      0), 0);
	assert_int_equal(synscope_bpf__load(s), 0);
	e->skel = s;
	e->pend = mmap(NULL, (size_t)SS_PEND_SETS * sizeof(struct ss_pend_set),
		       PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(s->maps.pend), 0);
	assert_true(e->pend != MAP_FAILED);
	e->occ = mmap(NULL, (size_t)SS_PEND_OCC * sizeof(__u64), PROT_READ | PROT_WRITE, MAP_SHARED,
		      bpf_map__fd(s->maps.pend_occ), 0);
	assert_true(e->occ != MAP_FAILED);
	{
		struct ss_ring_maps m;
		char err[128];

		ss_loader_skel_rings(s, e->ncpus, 0, &m);
		if (ss_ring_open(&e->ring, &m, err, sizeof(err)))
			fail_msg("%s", err);
	}
	return e;
}

static void env_free(struct env *e)
{
	if (!e)
		return;
	ss_ring_close(&e->ring);
	munmap(e->pend, (size_t)SS_PEND_SETS * sizeof(struct ss_pend_set));
	munmap(e->occ, (size_t)SS_PEND_OCC * sizeof(__u64));
	synscope_bpf__destroy(e->skel);
	free(e);
}

static int consume(struct env *e)
{
	int n;

	e->nev = 0;
	n = (int)ss_ring_consume(&e->ring, on_event, e);
	assert_int_equal(n, e->nev);
	return n;
}

/* Forget pending SYN-ACKs and unread events: each case starts clean. */
static void env_reset(struct env *e)
{
	memset(e->pend, 0, (size_t)SS_PEND_SETS * sizeof(struct ss_pend_set));
	consume(e);
}

static struct bpf_program *prog_of(const struct env *e, enum prog_id id)
{
	switch (id) {
	case P_XDP: return e->skel->progs.ss_xdp_ingress;
	case P_TC_IN: return e->skel->progs.ss_tc_ingress;
	default: return e->skel->progs.ss_tc_egress;
	}
}

/* Counters summed over every possible CPU: the per-CPU value of `percpu`
 * and the not-TCP reasons of `not_tcp` (ss_counters_sum()). */
static void read_counters(const struct env *e, __u64 sum[SS_C_MAX])
{
	struct ss_percpu *pc = calloc(e->ncpus, sizeof(*pc));
	uint64_t *nt = calloc((size_t)e->ncpus * (SS_PARSE_BAD_TCP + 1), sizeof(uint64_t));
	uint64_t out[SS_C_MAX];
	__u32 k = 0;
	int i;

	assert_non_null(pc);
	assert_non_null(nt);
	assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(e->skel->maps.percpu), &k, pc), 0);
	for (k = SS_PARSE_NOT_IP; k <= SS_PARSE_BAD_TCP; k++)
		assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(e->skel->maps.not_tcp), &k,
						     nt + (size_t)k * e->ncpus), 0);
	ss_counters_sum(pc, nt, e->ncpus, out);
	for (i = 0; i < SS_C_MAX; i++)
		sum[i] = out[i];
	free(pc);
	free(nt);
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* What one test run did. */
struct run {
	__u64 d[SS_C_MAX];  /* counter deltas */
	__u64 t0, t1;       /* CLOCK_MONOTONIC around it */
	enum prog_id prog;
};

/*
 * Run a program `repeat` times on one packet. Returns the test run's error
 * (the kernel refuses some inputs, see test_short_input()); on success,
 * checks the verdict and that the packet came back byte for byte, and
 * takes the counter deltas. The ring buffer is left alone (see run_prog()).
 */
static int try_run_prog(struct env *e, enum prog_id id, const void *data, __u32 len,
			__u32 repeat, struct run *r)
{
	__u64 before[SS_C_MAX], after[SS_C_MAX];
	uint8_t out[TP_MAX + 256];
	int i, err;
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = data,
		.data_size_in = len,
		.data_out = out,
		.data_size_out = sizeof(out),
		.repeat = repeat,
	);

	read_counters(e, before);
	r->prog = id;
	r->t0 = now_ns();
	err = bpf_prog_test_run_opts(bpf_program__fd(prog_of(e, id)), &opts);
	r->t1 = now_ns();
	read_counters(e, after);
	for (i = 0; i < SS_C_MAX; i++)
		r->d[i] = after[i] - before[i];
	if (err)
		return err;
	assert_int_equal(opts.retval, progs[id].retval);
	assert_int_equal(opts.data_size_out, len);
	assert_memory_equal(out, data, len);
	return 0;
}

static void run_prog_nodrain(struct env *e, enum prog_id id, const void *data, __u32 len,
			     __u32 repeat, struct run *r)
{
	assert_int_equal(try_run_prog(e, id, data, len, repeat, r), 0);
}

/* The same, then consume the ring buffer into e->ev. */
static void run_prog(struct env *e, enum prog_id id, const void *data, __u32 len,
		     __u32 repeat, struct run *r)
{
	run_prog_nodrain(e, id, data, len, repeat, r);
	consume(e);
}

/*
 * The deltas must be exactly: SS_C_PACKETS = n, n for each counter listed
 * (SS_C_PACKETS entries in the list are ignored, so a 0-padded list works),
 * 0 for every other counter.
 */
static void check_counters(const struct run *r, __u64 n, const int *list, size_t nlist)
{
	__u64 want[SS_C_MAX] = { [SS_C_PACKETS] = n };
	size_t i;
	int bad = 0;

	for (i = 0; i < nlist; i++)
		if (list[i] != SS_C_PACKETS)
			want[list[i]] += n;
	for (i = 0; i < SS_C_MAX; i++) {
		if (r->d[i] != want[i]) {
			print_error("%s: counter %s = %llu, want %llu\n", progs[r->prog].name,
				    counter_name(i), (unsigned long long)r->d[i],
				    (unsigned long long)want[i]);
			bad = 1;
		}
	}
	if (bad)
		fail();
}

#define CHECK_COUNTERS(r, n, ...) do { \
	const int list_[] = { __VA_ARGS__ }; \
	check_counters((r), (n), list_, ARRAY_SIZE(list_)); \
} while (0)

/* ---- expected events --------------------------------------------------- */

/* The cgroup v2 id of this process (the cgroup directory's inode): a test
 * run of the tc egress program sends from a socket made for it, in the
 * caller's cgroup. 0 when cgroup2 is not mounted here. */
static __u64 self_cgroup_id(void)
{
	static __u64 id = ~0ull;
	char line[1024], mnt[1024] = "", path[2100], cg[1024] = "";
	struct stat st;
	FILE *f;

	if (id != ~0ull)
		return id;
	id = 0;
	f = fopen("/proc/self/mountinfo", "r");
	while (f && fgets(line, sizeof(line), f)) {
		char root[1024], point[1024];

		if (strstr(line, " - cgroup2 ") && sscanf(line, "%*s %*s %*s %1023s %1023s", root,
							  point) == 2 && !strcmp(root, "/")) {
			snprintf(mnt, sizeof(mnt), "%s", point);
			break;
		}
	}
	if (f)
		fclose(f);
	f = fopen("/proc/self/cgroup", "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			snprintf(cg, sizeof(cg), "%s", line + 3);
			cg[strcspn(cg, "\n")] = '\0';
		}
	if (f)
		fclose(f);
	snprintf(path, sizeof(path), "%s%s", mnt, cg);
	if (*mnt && *cg && stat(path, &st) == 0)
		id = st.st_ino;
	return id;
}

/* The event a segment built from `f` inside `s` must produce, seen by a
 * program of direction `dir`: the event, and for a SYN or SYN-ACK the
 * fingerprint fields and the option bytes as the segment has them. */
static struct ss_event_syn event_for(const struct tp_flow *f, const struct tp_shape *s,
				     __u8 kind, __u8 dir)
{
	struct ss_event_syn w;

	memset(&w, 0, sizeof(w));
	w.e.ifindex = LOOPBACK_IFINDEX;
	w.e.dir = dir;
	w.e.kind = kind;
	w.e.family = f->family;
	w.e.tcp_flags = f->flags;
	memcpy(w.e.saddr, f->saddr, 16);  /* IPv4: first word, rest 0 */
	memcpy(w.e.daddr, f->daddr, 16);
	w.e.sport = f->sport;
	w.e.dport = f->dport;
	w.e.seq = f->seq;
	w.e.ack = f->ack;
	w.e.window = f->window;
	w.e.ttl = f->ttl;
	w.e.vlan_depth = s->nvlan;
	if (kind != SS_EV_SYN && kind != SS_EV_SYNACK)
		return w;
	w.cgroup_id = dir == SS_DIR_OUT ? self_cgroup_id() : 0;
	w.flow = f->family == 6 ? TP_FLOW6(f) : 0;
	w.ip_id = f->family == 4 ? TP_IP_ID(f) : 0;
	w.ip_frag = f->family == 4 ? s->ip4_frag : 0;
	w.urg = f->urg;
	w.payload_len = s->payload;
	w.tos = f->tos;
	w.ip_opt_len = f->family == 4 ? s->ip4_optlen : 0;
	w.doff_res = (uint8_t)(((20 + f->optlen) / 4) << 4 | (f->tcp_res & 0x0f));
	w.opt_len = f->optlen;
	memcpy(w.opts, f->opts, f->optlen);
	return w;
}

/* Event i of the last run against `want`: the fields one by one (readable
 * failures), then the whole record up to the last option byte (past it,
 * the ring keeps what an earlier record left there). */
static void check_event(const struct env *e, const struct run *r, int i,
			const struct ss_event_syn *want)
{
	struct ss_event_syn got, w = *want;
	int syn = w.e.kind == SS_EV_SYN || w.e.kind == SS_EV_SYNACK;

	assert_true(i < e->nev && i < MAX_EVENTS);
	got = e->ev[i];
	assert_in_range(got.e.ts_ns, r->t0, r->t1);
	w.e.ts_ns = got.e.ts_ns;
	assert_int_equal(got.e.kind, w.e.kind);
	assert_int_equal(got.e.dir, w.e.dir);
	assert_int_equal(got.e.ifindex, w.e.ifindex);
	assert_int_equal(got.e.family, w.e.family);
	assert_int_equal(got.e.tcp_flags, w.e.tcp_flags);
	assert_memory_equal(got.e.saddr, w.e.saddr, 16);
	assert_memory_equal(got.e.daddr, w.e.daddr, 16);
	assert_int_equal(got.e.sport, w.e.sport);
	assert_int_equal(got.e.dport, w.e.dport);
	assert_int_equal(got.e.seq, w.e.seq);
	assert_int_equal(got.e.ack, w.e.ack);
	assert_int_equal(got.e.window, w.e.window);
	assert_int_equal(got.e.ttl, w.e.ttl);
	assert_int_equal(got.e.vlan_depth, w.e.vlan_depth);
	assert_memory_equal(&got.e, &w.e, sizeof(got.e));
	if (!syn)
		return;
	assert_int_equal(got.cgroup_id, w.cgroup_id);
	assert_int_equal(got.flow, w.flow);
	assert_int_equal(got.ip_id, w.ip_id);
	assert_int_equal(got.ip_frag, w.ip_frag);
	assert_int_equal(got.urg, w.urg);
	assert_int_equal(got.payload_len, w.payload_len);
	assert_int_equal(got.tos, w.tos);
	assert_int_equal(got.ip_opt_len, w.ip_opt_len);
	assert_int_equal(got.doff_res, w.doff_res);
	assert_int_equal(got.opt_len, w.opt_len);
	assert_memory_equal(got.opts, w.opts, w.opt_len);
	assert_memory_equal(&got, &w, offsetof(struct ss_event_syn, opts) + w.opt_len);
}

/* Build a segment (plain if `s` is NULL) and run it once. */
static void run_flow(struct env *e, enum prog_id id, const struct tp_flow *f,
		     const struct tp_shape *s, struct run *r)
{
	static const struct tp_shape plain;
	struct tpkt p;

	tp_build(&p, s ? s : &plain, f);
	run_prog(e, id, p.b, p.len, 1, r);
}

/* Run `f` and expect exactly one event of `kind` with the counters listed. */
static void expect_one_event(struct env *e, enum prog_id id, const struct tp_flow *f,
			     __u8 kind, const int *counters, size_t ncounters)
{
	static const struct tp_shape plain;
	struct ss_event_syn w = event_for(f, &plain, kind, progs[id].dir);
	struct run r;

	run_flow(e, id, f, NULL, &r);
	check_counters(&r, 1, counters, ncounters);
	assert_int_equal(e->nev, 1);
	check_event(e, &r, 0, &w);
}

#define EXPECT_EVENT(e, id, f, kind, ...) do { \
	const int list_[] = { __VA_ARGS__ }; \
	expect_one_event((e), (id), (f), (kind), list_, ARRAY_SIZE(list_)); \
} while (0)

/* Run `f` and expect no event, only the counters listed. */
#define EXPECT_NO_EVENT(e, id, f, ...) do { \
	struct run r_; \
	run_flow((e), (id), (f), NULL, &r_); \
	CHECK_COUNTERS(&r_, 1, __VA_ARGS__); \
	assert_int_equal((e)->nev, 0); \
} while (0)

/*
 * The shortest input BPF_PROG_TEST_RUN takes for a program, on the kernel
 * this was written for (6.18): an Ethernet header for XDP; for tc, also
 * the base IP header when the outer ethertype is IPv4 or IPv6 (the skb
 * test run looks at it). Shorter inputs never reach our programs.
 */
static uint32_t min_input_len(enum prog_id id, const uint8_t *frame)
{
	uint16_t type = frame[12] << 8 | frame[13];

	if (id == P_XDP)
		return 14;
	return type == TP_ETH_P_IP ? 14 + 20 : type == TP_ETH_P_IPV6 ? 14 + 40 : 14;
}

/* ---- the packet table -------------------------------------------------- */

static struct env *g_env; /* default configuration, shared by the table */

struct bcase {
	const char *name;
	int family;
	uint8_t flags;
	struct tp_shape shape;
	void (*mutate)(struct tpkt *p);   /* after tp_build(): break a field */
	int counters[3];                  /* besides SS_C_PACKETS; 0 = none */
	uint8_t kind;                     /* event kind, 0 = no event */
	uint8_t tcp;                      /* parsed as a TCP segment */
};

static void mut_ihl4(struct tpkt *p) { tp_set8(p, p->l3, 0x44); }
static void mut_ip_version6(struct tpkt *p) { tp_set8(p, p->l3, 0x65); }
static void mut_ip6_version4(struct tpkt *p) { tp_set8(p, p->l3, 0x40); }
static void mut_totlen_lt_ihl(struct tpkt *p) { tp_set16(p, p->l3 + 2, 19); }
static void mut_doff4(struct tpkt *p) { tp_set8(p, p->l4 + 12, 4 << 4); }
static void mut_doff15(struct tpkt *p) { tp_set8(p, p->l4 + 12, 15 << 4); }
static void mut_cut_l4_8(struct tpkt *p) { tp_cut(p, p->l4 + 8); }
static void mut_cut_to_eth(struct tpkt *p) { tp_cut(p, 14); }
/* Lose the end of the frame but keep the IP length: a snapped capture. */
static void mut_drop_tail(struct tpkt *p) { p->len = p->hdr_len = p->l4 + 10; }
static void mut_arp(struct tpkt *p) { tp_build_arp(p); }

#define SYN TP_SYN
#define SYNACK (TP_SYN | TP_ACK)
#define ACK TP_ACK
#define RST (TP_RST | TP_ACK)
#define FIN (TP_FIN | TP_ACK)
#define EXT(t) { .type = TP_PROTO_##t }
#define FRAG(off, m) { .type = TP_PROTO_FRAGMENT, .frag_off = (off), .more = (m) }
#define CHAIN6 EXT(HOPOPTS), EXT(DSTOPTS), EXT(ROUTING), FRAG(0, 0), EXT(AH), EXT(DSTOPTS)

/* Expectations for a parsed segment of each kind. A lone ACK completes
 * nothing: it moves no counter but the packets (a TCP segment is a packet
 * counted as nothing else). */
#define W_SYN { SS_C_SYN, SS_C_EVENTS }, SS_EV_SYN, 1
#define W_SYNACK { SS_C_SYNACK, SS_C_EVENTS }, SS_EV_SYNACK, 1
#define W_ACK { 0 }, 0, 1
#define W_RST { SS_C_RST, SS_C_EVENTS }, SS_EV_RST, 1
#define W_FIN { SS_C_FIN }, 0, 1
#define W_NOT(c) { c }, 0, 0

static const struct bcase bcases[] = {
	{ "v4_syn", 4, SYN, {0}, NULL, W_SYN },
	{ "v4_synack", 4, SYNACK, {0}, NULL, W_SYNACK },
	{ "v4_lone_ack", 4, ACK, {0}, NULL, W_ACK },
	{ "v4_rst", 4, RST, {0}, NULL, W_RST },
	{ "v4_rst_payload", 4, RST, { .payload = 20 }, NULL, W_RST },
	{ "v4_fin", 4, FIN, {0}, NULL, W_FIN },
	{ "v6_syn", 6, SYN, {0}, NULL, W_SYN },
	{ "v6_synack", 6, SYNACK, {0}, NULL, W_SYNACK },
	{ "v6_lone_ack", 6, ACK, {0}, NULL, W_ACK },
	{ "v6_rst", 6, RST, {0}, NULL, W_RST },
	{ "v6_fin", 6, FIN, {0}, NULL, W_FIN },
	{ "v4_vlan_syn", 4, SYN, { .nvlan = 1 }, NULL, W_SYN },
	{ "v4_qinq_synack", 4, SYNACK, { .nvlan = 2, .qinq = 1 }, NULL, W_SYNACK },
	{ "v6_vlan_rst", 6, RST, { .nvlan = 1 }, NULL, W_RST },
	{ "v6_qinq_syn", 6, SYN, { .nvlan = 2, .qinq = 1 }, NULL, W_SYN },
	{ "v4_three_tags", 4, SYN, { .nvlan = 3, .qinq = 1 }, NULL, W_NOT(SS_C_NOT_IP) },
	{ "v4_ipopts4_syn", 4, SYN, { .ip4_optlen = 4 }, NULL, W_SYN },
	{ "v4_ipopts40_synack", 4, SYNACK, { .ip4_optlen = 40 }, NULL, W_SYNACK },
	{ "v4_qinq_ipopts40_syn", 4, SYN, { .nvlan = 2, .qinq = 1, .ip4_optlen = 40 }, NULL, W_SYN },
	{ "v6_hopopts_syn", 6, SYN, { .n_ext6 = 1, .ext6 = { EXT(HOPOPTS) } }, NULL, W_SYN },
	{ "v6_routing_synack", 6, SYNACK,
	  { .n_ext6 = 1, .ext6 = { { .type = TP_PROTO_ROUTING, .len = 24 } } }, NULL, W_SYNACK },
	{ "v6_dstopts_rst", 6, RST, { .n_ext6 = 1, .ext6 = { EXT(DSTOPTS) } }, NULL, W_RST },
	{ "v6_ah_syn", 6, SYN, { .n_ext6 = 1, .ext6 = { EXT(AH) } }, NULL, W_SYN },
	{ "v6_atomic_fragment_syn", 6, SYN, { .n_ext6 = 1, .ext6 = { FRAG(0, 0) } }, NULL, W_SYN },
	{ "v6_hopopts_512_syn", 6, SYN,
	  { .n_ext6 = 1, .ext6 = { { .type = TP_PROTO_HOPOPTS, .len = 512 } } }, NULL, W_SYN },
	{ "v6_chain6_syn", 6, SYN, { .n_ext6 = 6, .ext6 = { CHAIN6 } }, NULL, W_SYN },
	{ "v6_qinq_chain6_synack", 6, SYNACK, { .nvlan = 2, .qinq = 1, .n_ext6 = 6, .ext6 = { CHAIN6 } },
	  NULL, W_SYNACK },
	{ "v6_chain7", 6, SYN, { .n_ext6 = 7, .ext6 = { CHAIN6, EXT(DSTOPTS) } }, NULL,
	  W_NOT(SS_C_BAD_IPV6) },
	{ "v4_first_fragment_syn", 4, SYN, { .ip4_frag = TP_IP4_MF }, NULL, W_SYN },
	{ "v4_later_fragment", 4, 0, { .ip4_frag = 185, .l4 = TP_L4_NONE, .payload = 16 }, NULL,
	  W_NOT(SS_C_FRAGMENT) },
	{ "v4_tiny_first_fragment", 4, SYN, { .ip4_frag = TP_IP4_MF }, mut_cut_l4_8,
	  W_NOT(SS_C_FRAGMENT) },
	{ "v6_first_fragment_syn", 6, SYN, { .n_ext6 = 1, .ext6 = { FRAG(0, 1) } }, NULL, W_SYN },
	{ "v6_later_fragment", 6, 0,
	  { .n_ext6 = 1, .ext6 = { FRAG(1480, 1) }, .l4 = TP_L4_NONE, .payload = 16 }, NULL,
	  W_NOT(SS_C_FRAGMENT) },
	{ "v6_tiny_first_fragment", 6, SYN, { .n_ext6 = 1, .ext6 = { FRAG(0, 1) } }, mut_cut_l4_8,
	  W_NOT(SS_C_FRAGMENT) },
	{ "v4_ihl4", 4, SYN, {0}, mut_ihl4, W_NOT(SS_C_BAD_IPV4) },
	{ "v4_version6", 4, SYN, {0}, mut_ip_version6, W_NOT(SS_C_BAD_IPV4) },
	{ "v4_totlen_lt_ihl", 4, SYN, {0}, mut_totlen_lt_ihl, W_NOT(SS_C_BAD_IPV4) },
	{ "v6_version4", 6, SYN, {0}, mut_ip6_version4, W_NOT(SS_C_BAD_IPV6) },
	{ "v4_doff4", 4, SYN, {0}, mut_doff4, W_NOT(SS_C_BAD_TCP) },
	{ "v6_doff4", 6, ACK, {0}, mut_doff4, W_NOT(SS_C_BAD_TCP) },
	{ "v4_doff_beyond_ip", 4, SYN, {0}, mut_doff15, W_NOT(SS_C_BAD_TCP) },
	{ "v4_eth_only", 4, SYN, {0}, mut_cut_to_eth, W_NOT(SS_C_BAD_TRUNCATED) },
	{ "v4_tcp_cut", 4, SYN, {0}, mut_drop_tail, W_NOT(SS_C_BAD_TRUNCATED) },
	{ "v6_qinq_tcp_cut", 6, SYNACK, { .nvlan = 2, .qinq = 1 }, mut_drop_tail,
	  W_NOT(SS_C_BAD_TRUNCATED) },
	{ "arp", 4, 0, {0}, mut_arp, W_NOT(SS_C_NOT_IP) },
	{ "v4_udp", 4, 0, { .l4 = TP_L4_UDP }, NULL, W_NOT(SS_C_NOT_TCP) },
	{ "v6_udp", 6, 0, { .l4 = TP_L4_UDP }, NULL, W_NOT(SS_C_NOT_TCP) },
	{ "v6_icmpv6", 6, 0, { .l4 = TP_L4_ICMPV6 }, NULL, W_NOT(SS_C_NOT_TCP) },
	{ "v6_hopopts_icmpv6", 6, 0, { .l4 = TP_L4_ICMPV6, .n_ext6 = 1, .ext6 = { EXT(HOPOPTS) } },
	  NULL, W_NOT(SS_C_NOT_TCP) },
};

/* As in test_parse.c: a SYN-ACK answers the client's SYN, every other
 * kind goes from the client. */
static struct tp_flow case_flow(const struct bcase *c)
{
	struct tp_flow syn = tp_flow_client(c->family, TP_SYN);

	if (c->flags == SYNACK)
		return tp_flow_synack(&syn);
	return tp_flow_client(c->family, c->flags);
}

/* Runs per program per case: exercises `repeat` and shows no state leaks
 * from one run into the next. */
#define CASE_REPEAT 3

static void run_bcase(void **state)
{
	const struct bcase *c = *state;
	struct tp_flow f = case_flow(c);
	struct tpkt p;
	int id, i;

	tp_build(&p, &c->shape, &f);
	if (c->mutate)
		c->mutate(&p);

	for (id = 0; id < P_MAX; id++) {
		struct ss_event_syn w = event_for(&f, &c->shape, c->kind, progs[id].dir);
		struct run r;

		if (p.len < min_input_len(id, p.b))
			continue;

		run_prog(g_env, id, p.b, p.len, CASE_REPEAT, &r);
		check_counters(&r, CASE_REPEAT, c->counters, ARRAY_SIZE(c->counters));
		assert_int_equal(g_env->nev, c->kind ? CASE_REPEAT : 0);
		for (i = 0; i < g_env->nev; i++)
			check_event(g_env, &r, i, &w);
	}

	/* A good segment cut anywhere in its headers is TRUNCATED. */
	if (!c->tcp)
		return;
	for (id = 0; id < P_MAX; id++) {
		uint32_t len;

		for (len = min_input_len(id, p.b); len < p.hdr_len; len++) {
			struct run r;

			run_prog(g_env, id, p.b, len, 1, &r);
			CHECK_COUNTERS(&r, 1, SS_C_BAD_TRUNCATED);
			assert_int_equal(g_env->nev, 0);
		}
	}
}

static int group_setup(void **state)
{
	g_env = env_new(NULL);
	return 0;
}

static int group_teardown(void **state)
{
	env_free(g_env);
	g_env = NULL;
	return 0;
}

static int reset_g_env(void **state)
{
	env_reset(g_env);
	return 0;
}

/* ---- handshakes -------------------------------------------------------- */

static int setup_g_env(void **state)
{
	env_reset(g_env);
	*state = g_env;
	return 0;
}

/*
 * SYN, SYN-ACK, ACK for both families, with the SYN-ACK seen on each
 * program and the ACK on each: every pair must complete, since the
 * programs share the pending table.
 */
static void test_handshake_complete(void **state)
{
	struct env *e = *state;
	int fam, sa, ak;

	for (fam = 4; fam <= 6; fam += 2) {
		for (sa = 0; sa < P_MAX; sa++) {
			for (ak = 0; ak < P_MAX; ak++) {
				struct tp_flow syn = tp_flow_client(fam, TP_SYN);
				struct tp_flow synack, ack;

				/* A new client port per pair: no leftovers. */
				syn.sport = 41000 + sa * P_MAX + ak;
				synack = tp_flow_synack(&syn);
				ack = tp_flow_ack(&synack);
				EXPECT_EVENT(e, ak, &syn, SS_EV_SYN, SS_C_SYN, SS_C_EVENTS);
				EXPECT_EVENT(e, sa, &synack, SS_EV_SYNACK, SS_C_SYNACK, SS_C_EVENTS);
				EXPECT_EVENT(e, ak, &ack, SS_EV_ACK,
					     SS_C_ACK_COMPLETE, SS_C_EVENTS);
				/* Completed once: the same ACK again is plain. */
				EXPECT_NO_EVENT(e, ak, &ack, 0);
			}
		}
	}
}

/* ACKs that do not answer the pending SYN-ACK complete nothing, and do
 * not consume it: the right ACK afterwards still completes. */
static void test_handshake_mismatch(void **state)
{
	struct env *e = *state;
	int fam;

	for (fam = 4; fam <= 6; fam += 2) {
		struct tp_flow syn = tp_flow_client(fam, TP_SYN);
		struct tp_flow synack = tp_flow_synack(&syn);
		struct tp_flow ack = tp_flow_ack(&synack), bad;

		EXPECT_EVENT(e, P_TC_EG, &synack, SS_EV_SYNACK, SS_C_SYNACK, SS_C_EVENTS);

		bad = ack;                      /* wrong ack number */
		bad.ack = synack.seq + 2;
		EXPECT_NO_EVENT(e, P_XDP, &bad, 0);
		bad.ack = synack.seq;
		EXPECT_NO_EVENT(e, P_TC_IN, &bad, 0);

		bad = ack;                      /* another client port */
		bad.sport++;
		EXPECT_NO_EVENT(e, P_XDP, &bad, 0);

		bad = ack;                      /* another server port */
		bad.dport++;
		EXPECT_NO_EVENT(e, P_XDP, &bad, 0);

		bad = ack;                      /* another client address */
		bad.saddr[fam == 4 ? 3 : 15] ^= 0x40;
		EXPECT_NO_EVENT(e, P_XDP, &bad, 0);

		/* The right ack number in the SYN-ACK's own direction. */
		bad = tp_flow_reverse(&ack, TP_ACK, ack.ack, ack.seq);
		bad.ack = ack.ack;
		EXPECT_NO_EVENT(e, P_XDP, &bad, 0);

		/* A lone ACK on a flow with no SYN-ACK at all. */
		bad = tp_flow_client(fam, TP_ACK);
		bad.sport = 50000;
		EXPECT_NO_EVENT(e, P_XDP, &bad, 0);

		/* FIN+ACK with the right numbers is a FIN, not a completion. */
		bad = ack;
		bad.flags = TP_FIN | TP_ACK;
		EXPECT_NO_EVENT(e, P_XDP, &bad, SS_C_FIN);

		EXPECT_EVENT(e, P_XDP, &ack, SS_EV_ACK, SS_C_ACK_COMPLETE, SS_C_EVENTS);
	}
}

/* A RST from either side forgets the pending SYN-ACK. */
static void test_handshake_rst(void **state)
{
	struct env *e = *state;
	int fam, from_client;

	for (fam = 4; fam <= 6; fam += 2) {
		for (from_client = 0; from_client <= 1; from_client++) {
			struct tp_flow syn = tp_flow_client(fam, TP_SYN), synack, ack, rst;

			syn.sport = 42000 + from_client;
			synack = tp_flow_synack(&syn);
			ack = tp_flow_ack(&synack);
			if (from_client) {
				rst = ack;
				rst.flags = TP_RST;
			} else {
				rst = tp_flow_reverse(&ack, TP_RST, synack.seq + 1, 0);
			}

			EXPECT_EVENT(e, P_XDP, &synack, SS_EV_SYNACK,
				     SS_C_SYNACK, SS_C_EVENTS);
			EXPECT_EVENT(e, from_client ? P_TC_EG : P_XDP, &rst, SS_EV_RST,
				     SS_C_RST, SS_C_EVENTS);
			EXPECT_NO_EVENT(e, P_TC_EG, &ack, 0);
		}
	}
}

/* ---- the pending table (bpf/decide.h) ---------------------------------- */

/* The kernel's flow hash (bpf/pend_hash.h), with the kernel's key, to
 * place flows in sets: a pure function of the flow and the key. */
#include "pend_hash.h"

/* Where the completing ACK of the handshake `ack` lives. */
static struct ss_pend_where where_of(const struct tp_flow *ack)
{
	struct ss_pend_where w;
	__u32 s[4] = { 0 }, d[4] = { 0 };

	memcpy(s, ack->saddr, ack->family == 4 ? 4 : 16);
	memcpy(d, ack->daddr, ack->family == 4 ? 4 : 16);
	ss_pend_locate(TEST_KEY0, TEST_KEY1, s, d, ack->sport, ack->dport, (__u8)ack->family, &w);
	return w;
}

/* Used slots in the table, and where the only one is. */
/* The used slots (the last one's set and way), checking on the way that
 * every group's count (pend_occ) is the number of its used slots: what an
 * ACK or a RST trusts when it skips an empty group. */
static int pend_used(const struct env *e, __u32 *set, int *way)
{
	__u32 i, g, in_group = 0;
	int j, n = 0;

	for (i = 0; i < SS_PEND_SETS; i++) {
		for (j = 0; j < SS_PEND_WAYS; j++)
			if (e->pend[i].w[j]) {
				n++;
				in_group++;
				if (set)
					*set = i;
				if (way)
					*way = j;
			}
		g = ss_pend_group(i);
		if (i + 1 == SS_PEND_SETS || ss_pend_group(i + 1) != g) {
			if (e->occ[g] != in_group)
				fail_msg("group %u: count %llu, %u slots used", g, (unsigned long long)e->occ[g], in_group);
			in_group = 0;
		}
	}
	return n;
}

/*
 * A SYN-ACK takes one slot: in the set its flow hashes to (the same
 * whichever direction it is computed from), with the flow's tag and the
 * ACK number the completing ACK carries; its retransmission refreshes that
 * slot; the ACK clears it.
 */
static void test_pend_slot(void **state)
{
	struct env *e = *state;
	int fam;

	for (fam = 4; fam <= 6; fam += 2) {
		struct tp_flow syn = tp_flow_client(fam, TP_SYN), synack, ack, rev;
		struct ss_pend_where w, wr;
		__u32 set = ~0u;
		__u64 slot;
		int way = -1;

		syn.sport = 43000;
		synack = tp_flow_synack(&syn);
		ack = tp_flow_ack(&synack);
		env_reset(e);
		EXPECT_EVENT(e, P_XDP, &synack, SS_EV_SYNACK, SS_C_SYNACK, SS_C_EVENTS);
		assert_int_equal(pend_used(e, &set, &way), 1);
		w = where_of(&ack);
		rev = tp_flow_reverse(&ack, TP_ACK, 0, 0);
		wr = where_of(&rev);
		assert_int_equal(set, w.index);
		assert_int_equal(wr.index, w.index);              /* symmetric */
		assert_int_equal(wr.tag >> 1, w.tag >> 1);        /* but for the direction */
		assert_int_not_equal(wr.tag, w.tag);
		slot = e->pend[set].w[way];
		assert_int_equal(ss_pend_tag(slot), w.tag);
		assert_int_equal((__u32)slot, synack.seq + 1);
		assert_true(w.tag & 2);

		EXPECT_EVENT(e, P_TC_EG, &synack, SS_EV_SYNACK, SS_C_SYNACK, SS_C_EVENTS);
		assert_int_equal(pend_used(e, NULL, NULL), 1);    /* the same slot */
		/* Only the completing direction completes. */
		rev = tp_flow_reverse(&ack, TP_ACK, ack.ack, ack.seq);
		rev.ack = ack.ack;
		EXPECT_NO_EVENT(e, P_XDP, &rev, 0);
		EXPECT_EVENT(e, P_TC_IN, &ack, SS_EV_ACK, SS_C_ACK_COMPLETE, SS_C_EVENTS);
		assert_int_equal(pend_used(e, NULL, NULL), 0);
	}
}

/* Clients (192.0.2.x:port, to 198.51.100.2:80) whose handshakes all
 * hash to one set: a set holds one in 16384 flows. */
struct client {
	uint8_t host;
	uint16_t port;
};

static int same_set_clients(struct client *cl, int n, __u32 *set)
{
	struct tp_flow syn = tp_flow_client(4, TP_SYN), synack, ack;
	struct ss_pend_where w;
	int found = 0;
	uint32_t h, p;

	*set = ~0u;
	for (h = 1; h < 255 && found < n; h++)
		for (p = 1024; p < 65536 && found < n; p++) {
			syn.saddr[3] = (uint8_t)h;
			syn.sport = (uint16_t)p;
			synack = tp_flow_synack(&syn);
			ack = tp_flow_ack(&synack);
			w = where_of(&ack);
			if (*set == ~0u)
				*set = w.index;
			if (w.index == *set) {
				cl[found].host = (uint8_t)h;
				cl[found++].port = (uint16_t)p;
			}
		}
	return found;
}

/*
 * A set holds eight: the ninth SYN-ACK evicts the oldest, counted; every
 * other handshake still completes, the evicted one does not.
 */
static void test_pend_set_full(void **state)
{
	struct env *e = *state;
	struct tp_flow syn = tp_flow_client(4, TP_SYN), synack[SS_PEND_WAYS + 1], ack;
	struct client cl[SS_PEND_WAYS + 1];
	__u32 set;
	int i;

	assert_int_equal(same_set_clients(cl, SS_PEND_WAYS + 1, &set), SS_PEND_WAYS + 1);
	for (i = 0; i <= SS_PEND_WAYS; i++) {
		syn.saddr[3] = cl[i].host;
		syn.sport = cl[i].port;
		syn.seq = 0x1000 * (i + 1);
		synack[i] = tp_flow_synack(&syn);
		synack[i].seq = 0x77000000u + (uint32_t)i;
		if (i < SS_PEND_WAYS)
			EXPECT_EVENT(e, P_XDP, &synack[i], SS_EV_SYNACK, SS_C_SYNACK, SS_C_EVENTS);
		else
			EXPECT_EVENT(e, P_XDP, &synack[i], SS_EV_SYNACK, SS_C_SYNACK, SS_C_PEND_EVICTED,
				     SS_C_EVENTS);
		nanosleep(&(struct timespec){ .tv_nsec = 100 }, NULL);
	}
	assert_int_equal(pend_used(e, NULL, NULL), SS_PEND_WAYS);
	/* The oldest went: all slots have the same time unit here, so "oldest"
	 * is the ties' first way, which is where the first SYN-ACK went. */
	ack = tp_flow_ack(&synack[0]);
	EXPECT_NO_EVENT(e, P_XDP, &ack, 0);
	for (i = 1; i <= SS_PEND_WAYS; i++) {
		ack = tp_flow_ack(&synack[i]);
		EXPECT_EVENT(e, P_XDP, &ack, SS_EV_ACK, SS_C_ACK_COMPLETE, SS_C_EVENTS);
	}
	assert_int_equal(pend_used(e, NULL, NULL), 0);
}

/*
 * Slot ages, with a time unit of 2^20 ns (1 ms) and --timeout of 3 units:
 * an ACK that comes later than that completes nothing (and clears the
 * stale slot), a stale slot is taken without counting an eviction, and
 * userspace's sweep clears stale slots and counts the live ones.
 */
static void test_pend_ages(void **state)
{
	struct cfg cfg = { .pend_tshift = 20, .pend_live_t = 3 };
	struct env *e = env_new(&cfg);
	struct tp_flow syn = tp_flow_client(4, TP_SYN), synack[SS_PEND_WAYS + 1], ack;
	struct client cl[SS_PEND_WAYS + 1];
	struct timespec wait = { .tv_nsec = 8 * 1000 * 1000 };
	__u32 set;
	int i;

	(void)state;
	assert_int_equal(same_set_clients(cl, SS_PEND_WAYS + 1, &set), SS_PEND_WAYS + 1);
	for (i = 0; i <= SS_PEND_WAYS; i++) {
		syn.saddr[3] = cl[i].host;
		syn.sport = cl[i].port;
		synack[i] = tp_flow_synack(&syn);
		synack[i].seq = 0x66000000u + (uint32_t)i;
	}
	/* Late: the ACK finds its slot stale. */
	EXPECT_EVENT(e, P_XDP, &synack[0], SS_EV_SYNACK, SS_C_SYNACK, SS_C_EVENTS);
	nanosleep(&wait, NULL);
	ack = tp_flow_ack(&synack[0]);
	EXPECT_NO_EVENT(e, P_XDP, &ack, 0);
	assert_int_equal(pend_used(e, NULL, NULL), 0);

	/* A full set of stale slots: the ninth takes one, no eviction. */
	for (i = 0; i < SS_PEND_WAYS; i++)
		EXPECT_EVENT(e, P_XDP, &synack[i], SS_EV_SYNACK, SS_C_SYNACK, SS_C_EVENTS);
	nanosleep(&wait, NULL);
	EXPECT_EVENT(e, P_XDP, &synack[SS_PEND_WAYS], SS_EV_SYNACK, SS_C_SYNACK, SS_C_EVENTS);
	assert_int_equal(pend_used(e, NULL, NULL), SS_PEND_WAYS);

	/* The sweep: one live (the ninth), seven stale ones cleared. */
	assert_int_equal(ss_pend_sweep(e->pend, e->occ, SS_PEND_SETS, now_ns(), 20, 3), 1);
	assert_int_equal(pend_used(e, NULL, NULL), 1);
	ack = tp_flow_ack(&synack[SS_PEND_WAYS]);
	EXPECT_EVENT(e, P_XDP, &ack, SS_EV_ACK, SS_C_ACK_COMPLETE, SS_C_EVENTS);
	assert_int_equal(ss_pend_sweep(e->pend, e->occ, SS_PEND_SETS, now_ns(), 20, 3), 0);
	env_free(e);
}

/* The completing ACK may carry data. */
static void test_handshake_ack_with_payload(void **state)
{
	struct env *e = *state;
	struct tp_flow syn = tp_flow_client(4, TP_SYN);
	struct tp_flow synack = tp_flow_synack(&syn);
	struct tp_flow ack = tp_flow_ack(&synack);
	struct tp_shape s = { .nvlan = 1, .payload = 77 };
	struct ss_event_syn w;
	struct run r;

	ack.flags |= TP_PSH;
	EXPECT_EVENT(e, P_XDP, &synack, SS_EV_SYNACK, SS_C_SYNACK, SS_C_EVENTS);
	w = event_for(&ack, &s, SS_EV_ACK, SS_DIR_OUT);
	run_flow(e, P_TC_EG, &ack, &s, &r);
	CHECK_COUNTERS(&r, 1, SS_C_ACK_COMPLETE, SS_C_EVENTS);
	assert_int_equal(e->nev, 1);
	check_event(e, &r, 0, &w);
}

/* A SYN with a zero-length option: the kernel copies the bytes as they
 * are (their walk, which finds them malformed, is userspace's). */
static void test_malformed_syn_options(void **state)
{
	static const uint8_t bad[8] = { 2, 4, 0x05, 0xb4, 30, 0, 0, 0 };
	struct env *e = *state;
	struct tp_flow syn = tp_flow_client(6, TP_SYN);
	struct tp_shape s = { 0 };
	struct ss_event_syn w;
	struct ss_opts o;
	struct run r;

	tp_set_opts(&syn, bad, sizeof(bad));
	w = event_for(&syn, &s, SS_EV_SYN, SS_DIR_IN);
	run_flow(e, P_TC_IN, &syn, &s, &r);
	CHECK_COUNTERS(&r, 1, SS_C_SYN, SS_C_EVENTS);
	assert_int_equal(e->nev, 1);
	check_event(e, &r, 0, &w);
	ss_walk_tcp_opts(e->ev[0].opts, e->ev[0].opt_len, &o);
	assert_int_equal(o.present, SS_OPT_MSS | SS_OPT_MALFORMED);
	assert_int_equal(o.mss, 0x05b4);
	assert_int_equal(o.nkinds, 2);
}

/* ---- kernel input limits and garbage ------------------------------------ */

/*
 * Inputs shorter than min_input_len(): the kernel refuses them, or, should
 * a kernel take them, the program must pass them untouched and count them
 * as truncated. Either way nothing else moves.
 */
static void test_short_input(void **state)
{
	static const uint16_t types[] = { TP_ETH_P_IP, TP_ETH_P_IPV6, TP_ETH_P_8021Q };
	struct env *e = *state;
	int id;
	size_t t;
	__u32 len;

	for (t = 0; t < ARRAY_SIZE(types); t++) {
		struct tp_flow f = tp_flow_client(types[t] == TP_ETH_P_IPV6 ? 6 : 4, TP_SYN);
		struct tp_shape s = { .nvlan = types[t] == TP_ETH_P_8021Q };
		struct tpkt p;

		tp_build(&p, &s, &f);
		for (id = 0; id < P_MAX; id++) {
			for (len = 0; len < min_input_len(id, p.b); len++) {
				struct run r;

				if (try_run_prog(e, id, p.b, len, 1, &r) == 0)
					CHECK_COUNTERS(&r, 1, SS_C_BAD_TRUNCATED);
				else
					CHECK_COUNTERS(&r, 0, SS_C_PACKETS);
				assert_int_equal(consume(e), 0);
			}
		}
	}
}

static uint32_t rng_state = 0x9e3779b9;

static uint32_t rnd(void)
{
	return tp_rand(&rng_state);
}

/*
 * Random bytes, often behind a real ethertype and IP version. The kernel
 * build must classify each exactly as the host build of the same parser
 * does, and report the same fields: parse.h promises one behaviour.
 */
static void test_garbage_matches_host_parser(void **state)
{
	static const uint16_t types[] = { TP_ETH_P_IP, TP_ETH_P_IPV6, TP_ETH_P_8021Q };
	struct env *e = *state;
	int iter, ntcp = 0;

	for (iter = 0; iter < 3000; iter++) {
		/* IP header 4-aligned, as in the kernel (see test_parse.c). */
		static uint8_t buf[2 + 160] __attribute__((aligned(4)));
		uint8_t *b = buf + 2;
		uint32_t len = 14 + rnd() % (sizeof(buf) - 2 - 14), i;
		enum prog_id id = iter % P_MAX;
		struct ss_cursor c = { b, b + len, 0 };
		struct ss_pkt pkt;
		int res, kind = 0, list[4] = { 0 }, n = 0;
		struct run r;

		for (i = 0; i < len; i++)
			b[i] = rnd();
		if (rnd() % 8) {
			uint16_t t = types[rnd() % ARRAY_SIZE(types)];

			b[12] = t >> 8;
			b[13] = t & 0xff;
			b[14] = (t == TP_ETH_P_IPV6 ? 0x60 : 0x45) | (b[14] & 0x0f);
			if (t == TP_ETH_P_8021Q) {
				b[16] = 0x08;
				b[17] = 0x00;
				b[18] = 0x45;
			}
			if (rnd() % 2) /* protocol / next header: TCP */
				b[t == TP_ETH_P_IPV6 ? 20 : t == TP_ETH_P_IP ? 23 : 27] = 6;
		}

		if (len < min_input_len(id, b))
			id = P_XDP;
		memset(&pkt, 0, sizeof(pkt));
		res = ss_parse_eth(&c, &pkt);
		if (res != SS_PARSE_TCP) {
			list[n++] = ss_parse_counter(res);
		} else {
			ntcp++;
			kind = ss_classify(pkt.tcp_flags);
			switch (kind) {
			case SS_EV_SYN: list[n++] = SS_C_SYN; break;
			case SS_EV_SYNACK: list[n++] = SS_C_SYNACK; break;
			case SS_EV_RST: list[n++] = SS_C_RST; break;
			case SS_EV_FIN: list[n++] = SS_C_FIN; kind = 0; break;
			default: kind = 0; break; /* an ACK with no pending SYN-ACK */
			}
			if (kind)
				list[n++] = SS_C_EVENTS;
		}

		run_prog(e, id, b, len, 1, &r);
		check_counters(&r, 1, list, n);
		assert_int_equal(e->nev, kind ? 1 : 0);
		if (kind) {
			struct ss_event_syn w;

			memset(&w, 0, sizeof(w));
			w.e.ifindex = LOOPBACK_IFINDEX;
			w.e.dir = progs[id].dir;
			w.e.kind = kind;
			ss_fill_event(&w.e, &pkt);
			if (kind == SS_EV_SYN || kind == SS_EV_SYNACK) {
				struct ss_cursor oc = { b, b + len, 0 };

				ss_fill_event_syn(&w, &pkt);
				w.cgroup_id = progs[id].dir == SS_DIR_OUT ? self_cgroup_id() : 0;
				w.opt_len = ss_copy_tcp_opts(&oc, &pkt, w.opts);
			}
			check_event(e, &r, 0, &w);
		}
	}
	assert_true(ntcp > 0);
}

/* ---- filters ----------------------------------------------------------- */

static void test_port_filter(void **state)
{
	struct cfg cfg = { .ports = { 80 }, .nports = 1 };
	struct env *e = env_new(&cfg);
	int fam;

	for (fam = 4; fam <= 6; fam += 2) {
		struct tp_flow syn = tp_flow_client(fam, TP_SYN), other = syn, synack;
		struct tp_shape udp = { .l4 = TP_L4_UDP };
		struct run r;

		EXPECT_EVENT(e, P_XDP, &syn, SS_EV_SYN, SS_C_SYN, SS_C_EVENTS);
		/* The port may be either end. */
		synack = tp_flow_synack(&syn);
		EXPECT_EVENT(e, P_TC_EG, &synack, SS_EV_SYNACK, SS_C_SYNACK, SS_C_EVENTS);

		other.dport = 81;
		EXPECT_NO_EVENT(e, P_XDP, &other, SS_C_FILTERED);
		EXPECT_NO_EVENT(e, P_TC_IN, &other, SS_C_FILTERED);
		other = tp_flow_reverse(&other, TP_RST, 1, 0);
		EXPECT_NO_EVENT(e, P_TC_EG, &other, SS_C_FILTERED);

		/* Only TCP is filtered: UDP to port 81 is just not TCP. */
		other = syn;
		other.dport = 81;
		run_flow(e, P_XDP, &other, &udp, &r);
		CHECK_COUNTERS(&r, 1, SS_C_NOT_TCP);
	}
	env_free(e);
}

/* Only the first cfg_nports entries count. */
static void test_port_filter_list(void **state)
{
	struct cfg cfg = { .ports = { 22, 8080, 443 }, .nports = 2 };
	struct env *e = env_new(&cfg);
	struct tp_flow syn = tp_flow_client(4, TP_SYN);

	syn.dport = 8080;
	EXPECT_EVENT(e, P_XDP, &syn, SS_EV_SYN, SS_C_SYN, SS_C_EVENTS);
	syn.dport = 22;
	EXPECT_EVENT(e, P_TC_IN, &syn, SS_EV_SYN, SS_C_SYN, SS_C_EVENTS);
	syn.dport = 443;
	EXPECT_NO_EVENT(e, P_XDP, &syn, SS_C_FILTERED);
	syn.dport = 80;
	EXPECT_NO_EVENT(e, P_XDP, &syn, SS_C_FILTERED);
	env_free(e);
}

static void lpm_add_v4(struct env *e, uint32_t prefixlen, const uint8_t addr[4])
{
	struct ss_lpm_v4 k = { .prefixlen = prefixlen };
	__u8 one = 1;

	memcpy(k.addr, addr, 4);
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(e->skel->maps.hosts_v4), &k, &one,
					     BPF_ANY), 0);
}

static void lpm_add_v6(struct env *e, uint32_t prefixlen, const uint8_t addr[16])
{
	struct ss_lpm_v6 k = { .prefixlen = prefixlen };
	__u8 one = 1;

	memcpy(k.addr, addr, 16);
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(e->skel->maps.hosts_v6), &k, &one,
					     BPF_ANY), 0);
}

/* --host 198.51.100.0/24 (the client flow's server side). */
static void test_host_filter_v4(void **state)
{
	struct cfg cfg = { .host_v4 = 1 };
	struct env *e = env_new(&cfg);
	struct tp_flow syn = tp_flow_client(4, TP_SYN), synack, other;

	lpm_add_v4(e, 24, (const uint8_t[]){ 198, 51, 100, 0 });

	EXPECT_EVENT(e, P_XDP, &syn, SS_EV_SYN, SS_C_SYN, SS_C_EVENTS);   /* daddr */
	synack = tp_flow_synack(&syn);
	EXPECT_EVENT(e, P_TC_EG, &synack, SS_EV_SYNACK, SS_C_SYNACK, SS_C_EVENTS); /* saddr */
	other = syn;
	other.daddr[2] = 101;           /* 198.51.101.2: outside the /24 */
	EXPECT_NO_EVENT(e, P_XDP, &other, SS_C_FILTERED);
	other = tp_flow_client(6, TP_SYN); /* no IPv6 prefix given */
	EXPECT_NO_EVENT(e, P_TC_IN, &other, SS_C_FILTERED);
	env_free(e);
}

/* --host 2001:db8::2/128. */
static void test_host_filter_v6(void **state)
{
	struct cfg cfg = { .host_v6 = 1 };
	struct env *e = env_new(&cfg);
	struct tp_flow syn = tp_flow_client(6, TP_SYN), other;

	lpm_add_v6(e, 128, syn.daddr);

	EXPECT_EVENT(e, P_TC_IN, &syn, SS_EV_SYN, SS_C_SYN, SS_C_EVENTS);
	other = syn;
	other.daddr[15] = 3;
	EXPECT_NO_EVENT(e, P_XDP, &other, SS_C_FILTERED);
	other = tp_flow_client(4, TP_SYN); /* no IPv4 prefix given */
	EXPECT_NO_EVENT(e, P_XDP, &other, SS_C_FILTERED);
	env_free(e);
}

/* ---- a consumer that does not read -------------------------------------- */

#define SMALL_RING_LOG2 7                 /* 128 slots a CPU */
#define SMALL_RING (1 << SMALL_RING_LOG2)
#define FLOOD 10000

static void test_stalled_consumer(void **state)
{
	struct cfg cfg = { .ring_log2 = SMALL_RING_LOG2 };
	struct env *e = env_new(&cfg);
	struct tp_flow syn = tp_flow_client(4, TP_SYN);
	struct tp_shape s = { 0 };
	struct tpkt p;
	struct run r;
	__u64 events;
	int i, n;

	tp_build(&p, &s, &syn);
	run_prog_nodrain(e, P_XDP, p.b, p.len, FLOOD, &r);
	/* Every SYN counted; each one either written or lost, some lost. */
	events = r.d[SS_C_EVENTS];
	assert_int_equal(r.d[SS_C_PACKETS], FLOOD);
	assert_int_equal(r.d[SS_C_SYN], FLOOD);
	assert_int_equal(events + r.d[SS_C_LOST], FLOOD);
	assert_true(r.d[SS_C_LOST] > 0);
	assert_int_equal(r.d[SS_C_LOST_SYN], r.d[SS_C_LOST]);
	/* One CPU ran them all: its ring is full, exactly. */
	assert_int_equal(events, SMALL_RING);
	for (i = 0; i < SS_C_MAX; i++) {
		if (i != SS_C_PACKETS && i != SS_C_SYN && i != SS_C_EVENTS && i != SS_C_LOST &&
		    i != SS_C_LOST_SYN && r.d[i])
			fail_msg("counter %s moved", counter_name(i));
	}

	/* Still full: every program still passes each packet, one loss each
	 * (run_prog_nodrain() checks every verdict). */
	for (i = 0; i < 30; i++) {
		run_prog_nodrain(e, i % P_MAX, p.b, p.len, 1, &r);
		CHECK_COUNTERS(&r, 1, SS_C_SYN, SS_C_LOST, SS_C_LOST_SYN);
	}

	/* What was written is all there, intact; then there is room again. */
	n = consume(e);
	assert_int_equal(n, events);
	for (i = 0; i < n && i < MAX_EVENTS; i++) {
		assert_int_equal(e->ev[i].e.kind, SS_EV_SYN);
		assert_int_equal(e->ev[i].e.dir, SS_DIR_IN);
		assert_int_equal(e->ev[i].e.seq, syn.seq);
		assert_int_equal(e->ev[i].opt_len, syn.optlen);
		assert_memory_equal(e->ev[i].opts, syn.opts, syn.optlen);
	}
	EXPECT_EVENT(e, P_XDP, &syn, SS_EV_SYN, SS_C_SYN, SS_C_EVENTS);
	env_free(e);
}

/*
 * The consumer behind: once the ring holds more than the mark (half of it
 * live), SYNs and RSTs are shed and counted by kind, while SYN-ACKs and
 * completing ACKs still take the rest of the ring; once it is full, those
 * are lost, counted by kind. Nothing is shed while the consumer keeps up.
 */
static void test_consumer_behind(void **state)
{
	struct cfg cfg = { .ring_log2 = SMALL_RING_LOG2, .shed_slots = SMALL_RING / 2 };
	struct env *e = env_new(&cfg);
	struct tp_flow syn = tp_flow_client(4, TP_SYN), sa = tp_flow_synack(&syn);
	struct tp_flow rst = tp_flow_reverse(&syn, TP_RST | TP_ACK, 0, syn.seq + 1);
	struct tp_shape s = { 0 };
	struct tpkt psyn, psa, prst;
	struct run r;
	__u64 written;

	(void)state;
	tp_build(&psyn, &s, &syn);
	tp_build(&psa, &s, &sa);
	tp_build(&prst, &s, &rst);
	/* Drained, nothing is shed. */
	EXPECT_EVENT(e, P_XDP, &syn, SS_EV_SYN, SS_C_SYN, SS_C_EVENTS);
	/* Undrained: SYNs fill half the ring, then are shed. */
	run_prog_nodrain(e, P_XDP, psyn.b, psyn.len, FLOOD, &r);
	written = r.d[SS_C_EVENTS];
	/* Written while at most half the ring was in use, then shed. */
	assert_int_equal(written, SMALL_RING / 2 + 1);
	assert_int_equal(r.d[SS_C_SHED], FLOOD - written);
	assert_int_equal(r.d[SS_C_SHED_SYN], FLOOD - written);
	assert_int_equal(r.d[SS_C_LOST], 0);
	/* A RST too is shed. */
	run_prog_nodrain(e, P_XDP, prst.b, prst.len, 1, &r);
	CHECK_COUNTERS(&r, 1, SS_C_RST, SS_C_SHED, SS_C_SHED_RST);
	/* SYN-ACKs are never shed: written into the other half, then lost. */
	run_prog_nodrain(e, P_TC_EG, psa.b, psa.len, FLOOD, &r);
	assert_int_equal(r.d[SS_C_SHED], 0);
	assert_int_equal(r.d[SS_C_EVENTS], SMALL_RING - written);
	assert_true(r.d[SS_C_LOST] > 0);
	assert_int_equal(r.d[SS_C_LOST_SYNACK], r.d[SS_C_LOST]);
	assert_int_equal(r.d[SS_C_EVENTS] + r.d[SS_C_LOST], FLOOD);
	/* Drained again, a SYN is written. */
	consume(e);
	EXPECT_EVENT(e, P_XDP, &syn, SS_EV_SYN, SS_C_SYN, SS_C_EVENTS);
	env_free(e);
}

/* ---- main -------------------------------------------------------------- */

int main(void)
{
	static struct CMUnitTest table[ARRAY_SIZE(bcases)];
	const struct CMUnitTest others[] = {
		cmocka_unit_test_setup(test_handshake_complete, setup_g_env),
		cmocka_unit_test_setup(test_handshake_mismatch, setup_g_env),
		cmocka_unit_test_setup(test_handshake_rst, setup_g_env),
		cmocka_unit_test_setup(test_handshake_ack_with_payload, setup_g_env),
		cmocka_unit_test_setup(test_pend_slot, setup_g_env),
		cmocka_unit_test_setup(test_pend_set_full, setup_g_env),
		cmocka_unit_test(test_pend_ages),
		cmocka_unit_test_setup(test_malformed_syn_options, setup_g_env),
		cmocka_unit_test_setup(test_short_input, setup_g_env),
		cmocka_unit_test_setup(test_garbage_matches_host_parser, setup_g_env),
		cmocka_unit_test(test_port_filter),
		cmocka_unit_test(test_port_filter_list),
		cmocka_unit_test(test_host_filter_v4),
		cmocka_unit_test(test_host_filter_v6),
		cmocka_unit_test(test_stalled_consumer),
		cmocka_unit_test(test_consumer_behind),
	};
	size_t i;
	int failed = 0;
	cpu_set_t one;

	/* The event rings are per CPU: a test that fills one undrained
	 * (test_stalled_consumer, test_consumer_behind) must run every packet
	 * on the same CPU, which BPF_PROG_TEST_RUN takes from the caller. */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &one);
	if (sched_setaffinity(0, sizeof(one), &one)) {
		perror("test_bpf: sched_setaffinity");
		return 1;
	}

	for (i = 0; i < ARRAY_SIZE(bcases); i++) {
		table[i].name = bcases[i].name;
		table[i].test_func = run_bcase;
		table[i].setup_func = reset_g_env;
		table[i].initial_state = (void *)&bcases[i];
	}
	failed += _cmocka_run_group_tests("bpf_packets", table, ARRAY_SIZE(table),
					  group_setup, group_teardown);
	failed += cmocka_run_group_tests_name("bpf_behaviour", others, group_setup, group_teardown);
	return failed ? 1 : 0;
}
