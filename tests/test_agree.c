// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Two builds, one answer: every record of the hand-made captures goes
 * through the offline mode's host replay (test_agree_host.c, which
 * compiles user/capture.c) and through the kernel program ss_xdp_ingress
 * with BPF_PROG_TEST_RUN, loaded by the live loader with the same options.
 * Packet by packet, both must bump the same counters and write the same
 * event (kind, family, addresses, ports, seq, ack, window, TTL, flags,
 * tags, payload length, option summary). The pending SYN-ACK tables evolve
 * side by side through each capture.
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
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "synscope.h"
#include "loader.h"
#include "options.h"
#include "output.h"
#include "synscope.skel.h"
#include "capture_build.h"
#include "test_agree.h"

#define PATHLEN 256
#define MAX_CAPTURES 40
#define MAX_EVENTS 8

static char tmpdir[64];

/* The captures, written once for every configuration. */
static struct capture {
	char path[PATHLEN];
	int cut;                      /* ends in a read error */
} caps[MAX_CAPTURES];
static int ncaps;

/* ---- the kernel side ------------------------------------------------------------ */

struct kernel {
	struct ss_loader l;
	struct ring_buffer *rb;
	int prog_fd, pending_fd;
	struct ss_event ev[MAX_EVENTS];
	int nev;
};

static int on_event(void *ctx, void *data, size_t size)
{
	struct kernel *k = ctx;

	assert_int_equal(size, sizeof(struct ss_event));
	if (k->nev < MAX_EVENTS)
		memcpy(&k->ev[k->nev], data, size);
	k->nev++;
	return 0;
}

/* Forget pending SYN-ACKs between captures, as a fresh synscope -r would. */
static void clear_pending(struct kernel *k)
{
	struct ss_flow_key key;

	while (bpf_map_get_next_key(k->pending_fd, NULL, &key) == 0)
		assert_int_equal(bpf_map_delete_elem(k->pending_fd, &key), 0);
}

/* One frame through ss_xdp_ingress: counter deltas and events. */
static void kernel_run(struct kernel *k, const uint8_t *frame, uint32_t len,
		       uint64_t delta[SS_C_MAX])
{
	uint64_t before[SS_C_MAX], after[SS_C_MAX];
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = frame, .data_size_in = len, .repeat = 1);
	int i;

	assert_int_equal(ss_loader_counters(&k->l, before), 0);
	assert_int_equal(bpf_prog_test_run_opts(k->prog_fd, &t), 0);
	assert_int_equal(t.retval, XDP_PASS);
	assert_int_equal(ss_loader_counters(&k->l, after), 0);
	for (i = 0; i < SS_C_MAX; i++)
		delta[i] = after[i] - before[i];
	k->nev = 0;
	assert_true(ring_buffer__consume(k->rb) >= 0);
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
static void same_event(const struct ss_event *h, const struct ss_event *k, const char *where)
{
	SAME_FIELD(h, k, kind, where);
	SAME_FIELD(h, k, family, where);
	SAME_FIELD(h, k, tcp_flags, where);
	SAME_FIELD(h, k, sport, where);
	SAME_FIELD(h, k, dport, where);
	SAME_FIELD(h, k, seq, where);
	SAME_FIELD(h, k, ack, where);
	SAME_FIELD(h, k, window, where);
	SAME_FIELD(h, k, ttl, where);
	SAME_FIELD(h, k, vlan_depth, where);
	SAME_FIELD(h, k, payload_len, where);
	SAME_FIELD(h, k, opts.present, where);
	SAME_FIELD(h, k, opts.mss, where);
	SAME_FIELD(h, k, opts.wscale, where);
	SAME_FIELD(h, k, opts.nkinds, where);
	SAME_FIELD(h, k, opts.raw_len, where);
	SAME_FIELD(h, k, opts.ts_val, where);
	SAME_FIELD(h, k, opts.ts_ecr, where);
	if (memcmp(h->saddr, k->saddr, 16) || memcmp(h->daddr, k->daddr, 16))
		fail_msg("%s: event addresses differ", where);
	/* Whatever the fields above miss (kinds, raw bytes, padding). */
	if (memcmp(&h->opts, &k->opts, sizeof(h->opts)))
		fail_msg("%s: event option summaries differ", where);
}

struct tally {
	uint64_t packets, events, counters[SS_C_MAX];
};

/* One capture through both builds. */
static void agree_capture(struct kernel *k, const struct capture *c,
			  const struct ss_options *o, struct tally *t)
{
	static struct ag_packet p;  /* large: not on the stack */
	uint64_t kdelta[SS_C_MAX];
	struct ag_reader *r;
	char err[256], where[PATHLEN + 32];
	int e, i;

	clear_pending(k);
	r = ag_open(c->path, o, err, sizeof(err));
	if (!r)
		fail_msg("%s: %s", c->path, err);
	while ((e = ag_next(r, &p)) == 1) {
		snprintf(where, sizeof(where), "%s #%lu", strrchr(c->path, '/') + 1,
			 (unsigned long)p.n);
		t->packets++;
		for (i = 0; i < SS_C_MAX; i++)
			t->counters[i] += p.delta[i];
		if (p.frame_len < AG_ETH_HLEN) {
			/* Too short for BPF_PROG_TEST_RUN, and for the kernel's
			 * parser a frame shorter than Ethernet is truncated. */
			memset(kdelta, 0, sizeof(kdelta));
			kdelta[SS_C_PACKETS] = kdelta[SS_C_BAD_TRUNCATED] = 1;
			same_counters(p.delta, kdelta, where);
			assert_false(p.has_event);
			continue;
		}
		kernel_run(k, p.frame, p.frame_len, kdelta);
		same_counters(p.delta, kdelta, where);
		if (k->nev != p.has_event)
			fail_msg("%s: host wrote %d events, kernel %d", where, p.has_event, k->nev);
		if (p.has_event) {
			same_event(&p.ev, &k->ev[0], where);
			t->events++;
		}
	}
	ag_close(r);
	if (e != (c->cut ? -1 : 0))
		fail_msg("%s: read ended with %d", c->path, e);
}

/* ---- configurations ------------------------------------------------------------ */

struct config {
	const char *args[8];
	int filtering;                /* excludes some of the captures' segments */
};

static const struct config configs[] = {
	{ { NULL }, 0 },
	{ { "-p", "80" }, 1 },
	{ { "-p", "443", "-p", "8080", "-p", "44001" }, 1 },
	{ { "--host", "198.51.100.0/24" }, 1 },
	{ { "--host", "2001:db8::2", "--host", "192.0.2.1", "-p", "80" }, 1 },
	{ { "--host", "2001:db8::/32" }, 1 },
	{ { "--host", "0.0.0.0/0", "--host", "::/0" }, 0 },
};

static void test_agree(void **state)
{
	const struct config *cfg = *state;
	const char *argv[16] = { "synscope", "-r", "-" };
	struct ss_options o;
	struct tally t = { 0 };
	struct kernel k = { 0 };
	char err[256];
	int argc = 3, i;

	for (i = 0; cfg->args[i]; i++)
		argv[argc++] = cfg->args[i];
	assert_int_equal(ss_options_parse(argc, (char **)argv, &o, err, sizeof(err)), 0);
	o.event_rate = 0; /* the kernel's rate limit is a live-mode guard */
	if (ss_loader_load(&k.l, &o, err, sizeof(err)))
		fail_msg("loading the BPF object: %s", err);
	k.rb = ring_buffer__new(ss_loader_ringbuf_fd(&k.l), on_event, &k, NULL);
	assert_non_null(k.rb);
	k.prog_fd = bpf_program__fd(k.l.skel->progs.ss_xdp_ingress);
	k.pending_fd = bpf_map__fd(k.l.skel->maps.pending);

	for (i = 0; i < ncaps; i++)
		agree_capture(&k, &caps[i], &o, &t);
	print_message("  %lu packets, %lu events agree\n", (unsigned long)t.packets,
		      (unsigned long)t.events);

	/* Agreeing proves little unless the captures reach every class: all
	 * of them unfiltered; filtered, at least some filtering and events. */
	if (cfg->filtering) {
		assert_true(t.counters[SS_C_FILTERED] > 0 && t.counters[SS_C_EVENTS] > 0);
	} else {
		for (i = 0; i < SS_C_MAX; i++) {
			int want = i != SS_C_FILTERED && i != SS_C_LOST && i != SS_C_SAMPLED_OUT;

			if (want != (t.counters[i] > 0))
				fail_msg("counter %s is %lu over all captures",
					 ss_counter_name(i), (unsigned long)t.counters[i]);
		}
	}
	ring_buffer__free(k.rb);
	ss_loader_close(&k.l);
}

/* ---- captures ------------------------------------------------------------------- */

static struct capture *new_capture(const char *name)
{
	struct capture *c;

	assert_true(ncaps < MAX_CAPTURES);
	c = &caps[ncaps++];
	snprintf(c->path, sizeof(c->path), "%s/%s", tmpdir, name);
	return c;
}

static int setup(void **state)
{
	struct capture *c;
	struct stat st;
	size_t i;

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ss-agree-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	for (i = 0; i < cb_nlinks; i++) {
		c = new_capture(cb_links[i].name);
		if (cb_write_scenario(c->path, &cb_links[i], CB_SCENARIO_PKTS))
			return -1;
	}
	if (cb_write_zoo(new_capture("zoo")->path) || cb_write_snaplen(new_capture("snaplen")->path))
		return -1;
	/* Cut inside the last record: read up to the error. */
	c = new_capture("cut");
	c->cut = 1;
	if (cb_write_scenario(c->path, &cb_links[0], CB_SCENARIO_PKTS) ||
	    stat(c->path, &st) || truncate(c->path, st.st_size - 5))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < ncaps; i++)
		unlink(caps[i].path);
	return rmdir(tmpdir);
}

int main(void)
{
	struct CMUnitTest tests[sizeof(configs) / sizeof(configs[0])];
	static char names[sizeof(configs) / sizeof(configs[0])][128];
	size_t i;
	int j;

	for (i = 0; i < sizeof(configs) / sizeof(configs[0]); i++) {
		snprintf(names[i], sizeof(names[i]), "agree:");
		for (j = 0; configs[i].args[j]; j++)
			snprintf(names[i] + strlen(names[i]), sizeof(names[i]) - strlen(names[i]),
				 " %s", configs[i].args[j]);
		if (!configs[i].args[0])
			strcat(names[i], " no filter");
		tests[i] = (struct CMUnitTest)cmocka_unit_test_prestate(test_agree,
								       (void *)&configs[i]);
		tests[i].name = names[i];
	}
	libbpf_set_print(NULL);
	return cmocka_run_group_tests(tests, setup, teardown);
}
