// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Hostile input, case by case (the table is tests/support/malformed.c). Every case
 * is replayed after the primers (a SYN-ACK of each family), then checked:
 *
 *   kernel:  through ss_xdp_ingress, ss_tc_ingress and ss_tc_egress with
 *            BPF_PROG_TEST_RUN: verdict pass, bytes unchanged, exactly the
 *            counters of the table moved, the event (or none) of the table;
 *            and the same counters and event fields as the host replay.
 *   capture: written into a pcap (Ethernet, and Linux cooked v2) behind
 *            the primers and read by the capture reader (libpcap and
 *            user/offline/replay.c's replay): the same expectations.
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
#include <unistd.h>
#include <cmocka.h>

#include "synscope.h"
#include "cli/options.h"
#include "out/output.h"
#include "capture_build.h"
#include "malformed.h"
#include "test_agree.h"

static struct ss_options opts;
static struct ag_kernel *kern;
static struct ag_host *host;
static struct tpkt primers[AG_NPRIMERS];
static char tmpdir[64];

/* The capture link types a case is written in: both carry the ethertype
 * and the tags, so the frame means the same as on Ethernet. */
static const struct cb_link links[] = {
	{ .name = "ethernet", .dlt = CB_DLT_EN10MB, .family = 4 },
	{ .name = "sll2", .dlt = CB_DLT_LINUX_SLL2, .family = 4 },
};

/* ---- expectations ------------------------------------------------------------ */

static void expect_primer(const struct ag_result *r, const char *where)
{
	if (r->delta[SS_C_SYNACK] != 1 || r->nev != 1 || r->ev.e.kind != SS_EV_SYNACK)
		fail_msg("%s: the primer SYN-ACK was not counted and reported", where);
}

/* What the table says of the case, against what one build did. */
static void expect_case(const struct mcase *c, const struct ag_result *r, const char *where)
{
	uint64_t want[SS_C_MAX] = { [SS_C_PACKETS] = 1 };
	const char *why;
	size_t i;
	int bad = 0;

	for (i = 0; i < sizeof(c->counters) / sizeof(c->counters[0]); i++)
		if (c->counters[i] != SS_C_PACKETS)
			want[c->counters[i]]++;
	for (i = 0; i < SS_C_MAX; i++) {
		if (r->delta[i] != want[i]) {
			print_error("%s: counter %s moved by %lu, want %lu\n", where,
				    ss_counter_name(i), (unsigned long)r->delta[i],
				    (unsigned long)want[i]);
			bad = 1;
		}
	}
	if (bad)
		fail_msg("%s: wrong counters", where);
	if (r->nev != (c->kind != 0))
		fail_msg("%s: %d events, want %d", where, r->nev, c->kind != 0);
	if (!c->kind)
		return;
	if (r->ev.e.kind != c->kind)
		fail_msg("%s: event kind %u, want %u", where, r->ev.e.kind, c->kind);
	if ((c->kind == SS_EV_SYN || c->kind == SS_EV_SYNACK) && r->opts.present != c->opts)
		fail_msg("%s: options present 0x%02x, want 0x%02x", where, r->opts.present, c->opts);
	why = c->check ? c->check(&r->ev, &r->opts) : NULL;
	if (why)
		fail_msg("%s: %s", where, why);
}

/* ---- kernel ------------------------------------------------------------------ */

static void run_kernel_case(void **state)
{
	const struct mcase *c = *state;
	struct ag_result h[AG_NPRIMERS + 1], k[AG_NPRIMERS + 1];
	char where[160];
	struct tpkt p;
	int id, i;

	c->build(&p);
	assert_true(p.len >= AG_ETH_HLEN && p.len <= AG_FRAME_MAX);
	/* The host build of the same frame, for the field by field check. */
	ag_host_primed(host, primers, p.b, p.len, h);

	for (id = 0; id < AG_NPROGS; id++) {
		snprintf(where, sizeof(where), "%s: %s", ag_prog_name(id), c->name);
		if (ag_kernel_primed(kern, id, primers, p.b, p.len, k))
			fail_msg("%s: BPF_PROG_TEST_RUN refused the %u-byte frame", where, p.len);
		for (i = 0; i < AG_NPRIMERS; i++)
			expect_primer(&k[i], where);
		expect_case(c, &k[AG_NPRIMERS], where);
		ag_same(&h[AG_NPRIMERS], &k[AG_NPRIMERS], where);
	}
}

/* ---- capture reader ------------------------------------------------------------- */

static void run_capture_case(void **state)
{
	static struct ag_packet rec;
	const struct mcase *c = *state;
	char path[128], where[160], err[256];
	struct cb_writer *w;
	struct ag_reader *r;
	struct tpkt p;
	size_t l;
	int i;

	c->build(&p);
	for (l = 0; l < sizeof(links) / sizeof(links[0]); l++) {
		snprintf(path, sizeof(path), "%s/%s.pcap", tmpdir, links[l].name);
		w = cb_open(path, &links[l]);
		assert_non_null(w);
		for (i = 0; i < AG_NPRIMERS; i++)
			cb_add(w, CB_BASE_NS + i, &primers[i], CB_WHOLE, 0);
		cb_add(w, CB_BASE_NS + AG_NPRIMERS, &p, CB_WHOLE, 0);
		assert_int_equal(cb_close(w), 0);

		r = ag_open(path, &opts, err, sizeof(err));
		if (!r)
			fail_msg("%s: %s", path, err);
		for (i = 0; i < AG_NPRIMERS; i++) {
			assert_int_equal(ag_next(r, &rec), 1);
			snprintf(where, sizeof(where), "%s: primer %d", links[l].name, i);
			expect_primer(&rec.host, where);
		}
		assert_int_equal(ag_next(r, &rec), 1);
		snprintf(where, sizeof(where), "%s capture: %s", links[l].name, c->name);
		expect_case(c, &rec.host, where);
		assert_int_equal(ag_next(r, &rec), 0);
		ag_close(r);
	}
}

/* ---- the suite --------------------------------------------------------------- */

/* No two cases share a name or a frame: each tests something of its own. */
static void test_table_distinct(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < n_mcases; i++) {
		struct tpkt a, b;

		mcases[i].build(&a);
		for (j = i + 1; j < n_mcases; j++) {
			if (strcmp(mcases[i].name, mcases[j].name) == 0)
				fail_msg("two cases named %s", mcases[i].name);
			mcases[j].build(&b);
			if (a.len == b.len && memcmp(a.b, b.b, a.len) == 0)
				fail_msg("%s and %s are the same frame", mcases[i].name,
					 mcases[j].name);
		}
	}
}

static int group_setup(void **state)
{
	char err[256];

	(void)state;
	if (ag_options(NULL, &opts, err, sizeof(err)))
		return -1;
	kern = ag_kernel_open(&opts);
	host = ag_host_new(&opts);
	if (!host)
		return -1;
	tp_build_primers(primers, NULL);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ss-malformed-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	char path[128];
	size_t l;

	(void)state;
	ag_kernel_close(kern);
	ag_host_free(host);
	/* One capture per link type, rewritten by each case. */
	for (l = 0; l < sizeof(links) / sizeof(links[0]); l++) {
		snprintf(path, sizeof(path), "%s/%s.pcap", tmpdir, links[l].name);
		unlink(path);
	}
	return rmdir(tmpdir);
}

int main(void)
{
	struct CMUnitTest *kernel_tests = calloc(n_mcases, sizeof(*kernel_tests));
	struct CMUnitTest *capture_tests = calloc(n_mcases, sizeof(*capture_tests));
	const struct CMUnitTest table_tests[] = { cmocka_unit_test(test_table_distinct) };
	size_t i;
	int failed = 0;

	if (!kernel_tests || !capture_tests)
		return 1;
	/* One test per case and path, named after the case. */
	for (i = 0; i < n_mcases; i++) {
		kernel_tests[i].name = mcases[i].name;
		kernel_tests[i].test_func = run_kernel_case;
		kernel_tests[i].initial_state = (void *)&mcases[i];
		capture_tests[i] = kernel_tests[i];
		capture_tests[i].test_func = run_capture_case;
	}
	failed += cmocka_run_group_tests_name("malformed_table", table_tests, NULL, NULL);
	failed += _cmocka_run_group_tests("malformed_kernel", kernel_tests, n_mcases,
					  group_setup, group_teardown);
	failed += _cmocka_run_group_tests("malformed_capture_reader", capture_tests, n_mcases,
					  group_setup, group_teardown);
	free(kernel_tests);
	free(capture_tests);
	return failed ? 1 : 0;
}
