// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Kernel side of the two-builds tests: the BPF object loaded by the live
 * loader (user/live/loader.c) with the options under test, its programs run
 * with BPF_PROG_TEST_RUN, and the comparison with what the host replay
 * (tests/support/agree_host.c) did with the same frame. See test_agree.h.
 *
 * Needs root (CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#include "synscope.h"
#include "parse.h"
#include "offline/replay.h"
#include "live/loader.h"
#include "live/ring.h"
#include "cli/options.h"
#include "out/output.h"
#include "synscope.skel.h"
#include "packets.h"
#include "test_agree.h"

struct ag_kernel {
	struct ss_loader l;
	struct ss_ring ring;          /* the consumer synscope runs (live/ring.c) */
	int prog_fd[AG_NPROGS];
	struct ag_result *cur;        /* where on_event writes */
};

static const struct {
	const char *name;
	__u32 pass;                   /* the verdict that leaves the packet alone */
} prog_info[AG_NPROGS] = {
	[AG_XDP] = { "ss_xdp_ingress", XDP_PASS },
	[AG_TC_IN] = { "ss_tc_ingress", (__u32)TC_ACT_UNSPEC },
	[AG_TC_OUT] = { "ss_tc_egress", (__u32)TC_ACT_UNSPEC },
};

const char *ag_prog_name(enum ag_prog p)
{
	return prog_info[p].name;
}

static void on_event(void *ctx, const struct ss_event *e, const struct ss_event_raw *raw)
{
	struct ag_kernel *k = ctx;
	int syn = e->kind == SS_EV_SYN || e->kind == SS_EV_SYNACK;

	(void)raw;
	if (k->cur->nev == 0) {
		memcpy(&k->cur->ev, e, syn ? sizeof(struct ss_event_syn) : sizeof(struct ss_event));
		if (syn)
			ss_walk_tcp_opts(k->cur->ev.opts, k->cur->ev.opt_len, &k->cur->opts);
	}
	k->cur->nev++;
}

struct ag_kernel *ag_kernel_open(const struct ss_options *o)
{
	struct ag_kernel *k = calloc(1, sizeof(*k));
	struct ss_options opts = *o;
	char err[256];

	assert_non_null(k);
	libbpf_set_print(NULL);
	opts.event_rate = 0; /* the kernel's rate limit is a live-mode guard */
	/* The pending table's sets and tags as the host replay's. */
	opts.pend_key[0] = SS_REPLAY_KEY0;
	opts.pend_key[1] = SS_REPLAY_KEY1;
	if (ss_loader_load(&k->l, &opts, -1, err, sizeof(err)))
		fail_msg("loading the BPF object: %s", err);
	{
		struct ss_ring_maps m;

		ss_loader_ring_maps(&k->l, 0, &m);
		if (ss_ring_open(&k->ring, &m, err, sizeof(err)))
			fail_msg("%s", err);
	}
	k->prog_fd[AG_XDP] = bpf_program__fd(k->l.skel->progs.ss_xdp_ingress);
	k->prog_fd[AG_TC_IN] = bpf_program__fd(k->l.skel->progs.ss_tc_ingress);
	k->prog_fd[AG_TC_OUT] = bpf_program__fd(k->l.skel->progs.ss_tc_egress);
	return k;
}

void ag_kernel_close(struct ag_kernel *k)
{
	if (!k)
		return;
	ss_ring_close(&k->ring);
	ss_loader_close(&k->l);
	free(k);
}

/* Forget pending SYN-ACKs, as a fresh synscope -r would. */
void ag_kernel_clear_pending(struct ag_kernel *k)
{
	memset(k->l.pend, 0, (size_t)SS_PEND_SETS * sizeof(*k->l.pend));
}

int ag_kernel_run(struct ag_kernel *k, enum ag_prog p, const uint8_t *frame, uint32_t len,
		  struct ag_result *r)
{
	static uint8_t out[AG_FRAME_MAX + 256];
	uint64_t before[SS_C_MAX], after[SS_C_MAX];
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = frame, .data_size_in = len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);
	int i, err;

	memset(r, 0, sizeof(*r));
	k->cur = r;
	assert_int_equal(ss_loader_counters(&k->l, before), 0);
	err = bpf_prog_test_run_opts(k->prog_fd[p], &t);
	assert_int_equal(ss_loader_counters(&k->l, after), 0);
	for (i = 0; i < SS_C_MAX; i++)
		r->delta[i] = after[i] - before[i];
	ss_ring_consume(&k->ring, on_event, k);
	if (err) {
		for (i = 0; i < SS_C_MAX; i++)
			if (r->delta[i])
				fail_msg("%s refused a %u-byte input, yet counter %s moved",
					 ag_prog_name(p), len, ss_counter_name(i));
		assert_int_equal(r->nev, 0);
		return err;
	}
	if (t.retval != prog_info[p].pass)
		fail_msg("%s: verdict %d on a %u-byte input, want pass (%d)", ag_prog_name(p),
			 (int)t.retval, len, (int)prog_info[p].pass);
	if (t.data_size_out != len || memcmp(out, frame, len))
		fail_msg("%s changed a %u-byte input (%u bytes came back)", ag_prog_name(p), len,
			 t.data_size_out);
	return 0;
}

int ag_kernel_primed(struct ag_kernel *k, enum ag_prog p, const struct tpkt *primers,
		     const uint8_t *frame, uint32_t len, struct ag_result r[AG_NPRIMERS + 1])
{
	int i;

	ag_kernel_clear_pending(k);
	for (i = 0; i < AG_NPRIMERS; i++)
		if (ag_kernel_run(k, p, primers[i].b, primers[i].len, &r[i]))
			fail_msg("%s refused primer %d", ag_prog_name(p), i);
	return ag_kernel_run(k, p, frame, len, &r[AG_NPRIMERS]);
}

/* ---- comparing ------------------------------------------------------------------- */

static void same_counters(const uint64_t *host, const uint64_t *kern, const char *where)
{
	int i;

	for (i = 0; i < SS_C_MAX; i++)
		if (host[i] != kern[i])
			fail_msg("%s: counter %s: host +%lu, kernel +%lu", where, ss_counter_name(i),
				 (unsigned long)host[i], (unsigned long)kern[i]);
}

#define SAME_FIELD(h, k, f, where)                                                      \
	do {                                                                            \
		if ((h)->f != (k)->f)                                                   \
			fail_msg("%s: event " #f ": host %lu, kernel %lu", where,       \
				 (unsigned long)(h)->f, (unsigned long)(k)->f);         \
	} while (0)

/* Everything the packet decides; not the time, interface or direction,
 * which come from the capture in one build and the test harness in the
 * other. */
static void same_event(const struct ag_result *hr, const struct ag_result *kr, const char *where)
{
	const struct ss_event *h = &hr->ev.e, *k = &kr->ev.e;
	const char *diff;

	SAME_FIELD(h, k, kind, where);
	diff = ag_event_diff(&hr->ev, &kr->ev);
	if (diff)
		fail_msg("%s: event %s differs between host and kernel", where, diff);
	if (h->kind != SS_EV_SYN && h->kind != SS_EV_SYNACK)
		return;
	/* The bytes agree, so their walks do: this checks the walk on both
	 * sides' bytes. */
	if (memcmp(&hr->opts, &kr->opts, sizeof(hr->opts)))
		fail_msg("%s: option summaries differ", where);
}

void ag_same(const struct ag_result *host, const struct ag_result *kern, const char *where)
{
	same_counters(host->delta, kern->delta, where);
	if (host->nev != kern->nev)
		fail_msg("%s: host wrote %d events, kernel %d", where, host->nev, kern->nev);
	if (host->nev)
		same_event(host, kern, where);
}

void ag_tally_add(struct ag_tally *t, const struct ag_result *r)
{
	int i;

	t->packets++;
	t->events += r->nev;
	for (i = 0; i < SS_C_MAX; i++)
		t->counters[i] += r->delta[i];
}

void ag_check_coverage(const struct ag_tally *t, int filtering, const char *what)
{
	int i;

	if (filtering) {
		if (!t->counters[SS_C_FILTERED] || !t->counters[SS_C_EVENTS])
			fail_msg("%s: no segment filtered out, or no event", what);
		return;
	}
	for (i = 0; i < SS_C_MAX; i++) {
		int want = i != SS_C_FILTERED && i != SS_C_PEND_EVICTED &&
			   !(i >= SS_C_LOST && i <= SS_C_SHED_RST);

		if (want != (t->counters[i] > 0))
			fail_msg("%s: counter %s is %lu over all inputs", what, ss_counter_name(i),
				 (unsigned long)t->counters[i]);
	}
}

int ag_agree_capture(struct ag_kernel *k, const char *path, const struct ss_options *o,
		     struct ag_tally *t, char *err, size_t n)
{
	static struct ag_packet p;  /* large: not on the stack */
	struct ag_result kern;
	struct ag_reader *r;
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	char where[300];
	int e;

	r = ag_open(path, o, err, n);
	if (!r)
		return AG_NOT_A_CAPTURE;
	ag_kernel_clear_pending(k);
	while ((e = ag_next(r, &p)) == 1) {
		snprintf(where, sizeof(where), "%s #%lu", base, (unsigned long)p.n);
		ag_tally_add(t, &p.host);
		if (p.too_long)
			fail_msg("%s: a %u-byte record, longer than the test takes (%d)", where,
				 p.caplen, AG_FRAME_MAX);
		if (p.frame_len < AG_ETH_HLEN) {
			/* Too short for BPF_PROG_TEST_RUN, and for the kernel's
			 * parser a frame shorter than Ethernet is truncated. */
			memset(&kern, 0, sizeof(kern));
			kern.delta[SS_C_PACKETS] = kern.delta[SS_C_BAD_TRUNCATED] = 1;
			ag_same(&p.host, &kern, where);
			continue;
		}
		if (ag_kernel_run(k, AG_XDP, p.frame, p.frame_len, &kern))
			fail_msg("%s: BPF_PROG_TEST_RUN refused the %u-byte frame", where,
				 p.frame_len);
		ag_same(&p.host, &kern, where);
	}
	ag_close(r);
	return e;
}
