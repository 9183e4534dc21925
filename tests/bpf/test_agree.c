// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Two builds, one answer: every record of the hand-made captures goes
 * through the offline mode's host replay (tests/support/agree_host.c, which
 * compiles user/offline/replay.c) and through the kernel program ss_xdp_ingress
 * with BPF_PROG_TEST_RUN (tests/support/agree_kernel.c), loaded by the live loader
 * with the same options.
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

#include <bpf/libbpf.h>

#include "synscope.h"
#include "cli/options.h"
#include "out/output.h"
#include "capture_build.h"
#include "test_agree.h"

#define PATHLEN 256
#define MAX_CAPTURES 40

static char tmpdir[64];

/* The captures, written once for every configuration. */
static struct capture {
	char path[PATHLEN];
	int cut;                      /* ends in a read error */
} caps[MAX_CAPTURES];
static int ncaps;

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
	struct ss_options o;
	struct ag_tally t = { 0 };
	struct ag_kernel *k;
	char err[256];
	int i, e;

	assert_int_equal(ag_options(cfg->args, &o, err, sizeof(err)), 0);
	k = ag_kernel_open(&o);

	for (i = 0; i < ncaps; i++) {
		e = ag_agree_capture(k, caps[i].path, &o, &t, err, sizeof(err));
		if (e == AG_NOT_A_CAPTURE)
			fail_msg("%s: %s", caps[i].path, err);
		if (e != (caps[i].cut ? -1 : 0))
			fail_msg("%s: read ended with %d", caps[i].path, e);
	}
	print_message("  %lu packets, %lu events agree\n", (unsigned long)t.packets,
		      (unsigned long)t.events);

	ag_check_coverage(&t, cfg->filtering, "the captures");
	ag_kernel_close(k);
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
