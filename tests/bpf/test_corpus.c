// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The differential check over the fuzzers' corpora: both builds of the
 * parser and classifier, input for input.
 *
 *   packets  each file is one Ethernet frame. For each of ss_xdp_ingress,
 *            ss_tc_ingress and ss_tc_egress: pending SYN-ACKs cleared, the
 *            primers (a SYN-ACK of each family, tp_build_primers()), then
 *            the frame, on the host replay (user/offline/replay.c) and on the
 *            kernel program with BPF_PROG_TEST_RUN. Verdict pass, bytes
 *            unchanged, the same counter deltas, the same event fields.
 *   pcap     each file is a capture, read by the capture reader (libpcap,
 *            user/offline/replay.c) for the host side, each record also run
 *            through ss_xdp_ingress (test_agree's ag_agree_capture()).
 *
 * With no arguments: the committed seed corpora, tests/corpus/packets and
 * tests/corpus/pcap, every file of which must be what it claims (a frame
 * the kernel takes, a capture libpcap opens), and which together must
 * reach every counter. make fuzz adds the fuzzers' corpora:
 *   test_corpus [--packets DIR]... [--pcap DIR]... [--fuzzed-pcap DIR]...
 * (--fuzzed-pcap: files that are not captures are counted and skipped.)
 *
 * Needs root (CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON).
 */
#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "synscope.h"
#include "cli/options.h"
#include "out/output.h"
#include "packets.h"
#include "test_agree.h"

#define MAX_DIRS 16
#define SEED_PACKETS "tests/corpus/packets"
#define SEED_PCAP "tests/corpus/pcap"

struct corpus_dir {
	const char *path;
	int lenient;                  /* fuzzed captures: may be anything */
};

static struct corpus_dir packet_dirs[MAX_DIRS], pcap_dirs[MAX_DIRS];
static int npacket_dirs, npcap_dirs;
static int seeds_only;                /* no arguments: check the coverage too */
static struct tpkt primers[AG_NPRIMERS];

/* ---- configurations ------------------------------------------------------------ */

struct config {
	const char *name;
	const char *args[6];
	int filtering;
};

static const struct config configs[] = {
	{ "no filter", { NULL }, 0 },
	/* Every IPv4 segment filtered out, IPv6 ones to or from port 80 kept. */
	{ "--host 2001:db8::/32 -p 80", { "--host", "2001:db8::/32", "-p", "80" }, 1 },
};

struct env {
	struct ss_options o;
	struct ag_kernel *k;
	struct ag_host *h;
	struct ag_tally t;
	uint64_t files, runs, refused, skipped;
};

static void env_open(struct env *e, const struct config *cfg)
{
	char err[256];

	memset(e, 0, sizeof(*e));
	if (ag_options(cfg->args, &e->o, err, sizeof(err)))
		fail_msg("options: %s", err);
	e->k = ag_kernel_open(&e->o);
	e->h = ag_host_new(&e->o);
	assert_non_null(e->h);
}

static void env_close(struct env *e)
{
	ag_kernel_close(e->k);
	ag_host_free(e->h);
}

static void report(const struct env *e, const struct config *cfg, const char *what)
{
	print_message("  %s: %lu files, %lu packets, %lu events, %lu runs agree; "
		      "%lu inputs refused by BPF_PROG_TEST_RUN, %lu files not captures\n", what,
		      (unsigned long)e->files, (unsigned long)e->t.packets,
		      (unsigned long)e->t.events, (unsigned long)e->runs,
		      (unsigned long)e->refused, (unsigned long)e->skipped);
	assert_true(e->files > 0);
	/* The seeds alone must reach every class (a fuzzer's corpus adds to
	 * them, any other directory may not). */
	if (seeds_only)
		ag_check_coverage(&e->t, cfg->filtering, what);
}

/* ---- files ---------------------------------------------------------------------- */

static int not_hidden(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* The files of a directory in name order; *n of them. */
static struct dirent **list_dir(const char *dir, int *n)
{
	struct dirent **names;

	*n = scandir(dir, &names, not_hidden, alphasort);
	if (*n < 0)
		fail_msg("%s: cannot list the directory", dir);
	return names;
}

static void free_list(struct dirent **names, int n)
{
	while (n--)
		free(names[n]);
	free(names);
}

/* Read a whole file of at most max bytes into buf; its length. */
static uint32_t read_input(const char *path, uint8_t *buf, size_t max)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		fail_msg("%s: cannot open", path);
	n = fread(buf, 1, max + 1, f);
	fclose(f);
	if (n > max)
		fail_msg("%s: longer than %zu bytes, more than BPF_PROG_TEST_RUN takes", path, max);
	return (uint32_t)n;
}

/* ---- packets ---------------------------------------------------------------------- */

/*
 * BPF_PROG_TEST_RUN refuses a frame shorter than Ethernet (every program),
 * and for tc one whose outer ethertype is IPv4 or IPv6 but whose base IP
 * header is cut (the skb test run reads it). Nothing ran then: there is
 * nothing to compare. Anything else refused is a failure.
 */
static int may_refuse(enum ag_prog p, const uint8_t *frame, uint32_t len)
{
	uint16_t type;

	if (len < AG_ETH_HLEN)
		return 1;
	type = (uint16_t)(frame[12] << 8 | frame[13]);
	return p != AG_XDP && ((type == TP_ETH_P_IP && len < AG_ETH_HLEN + 20) ||
			       (type == TP_ETH_P_IPV6 && len < AG_ETH_HLEN + 40));
}

static void agree_frame(struct env *e, const char *name, const uint8_t *frame, uint32_t len)
{
	struct ag_result host[AG_NPRIMERS + 1], kern[AG_NPRIMERS + 1];
	const struct ag_result *h = &host[AG_NPRIMERS];
	char where[PATH_MAX + 64];
	int p, i;

	ag_host_primed(e->h, primers, frame, len, host);
	ag_tally_add(&e->t, h);

	for (p = 0; p < AG_NPROGS; p++) {
		int err = ag_kernel_primed(e->k, p, primers, frame, len, kern);

		for (i = 0; i < AG_NPRIMERS; i++) {
			snprintf(where, sizeof(where), "%s: %s: primer %d", name, ag_prog_name(p), i);
			ag_same(&host[i], &kern[i], where);
		}
		snprintf(where, sizeof(where), "%s: %s", name, ag_prog_name(p));
		if (err) {
			if (!may_refuse(p, frame, len))
				fail_msg("%s: BPF_PROG_TEST_RUN refused the %u-byte frame", where, len);
			/* For the parser, shorter than Ethernet is truncated. */
			if (len < AG_ETH_HLEN && (h->delta[SS_C_BAD_TRUNCATED] != 1 || h->nev))
				fail_msg("%s: a %u-byte frame is not truncated for the host", where,
					 len);
			e->refused++;
			continue;
		}
		ag_same(h, &kern[AG_NPRIMERS], where);
		e->runs++;
	}
}

static void test_packets(void **state)
{
	const struct config *cfg = *state;
	static uint8_t buf[AG_FRAME_MAX];
	char path[PATH_MAX];
	struct dirent **names;
	struct env e;
	int d, i, n;

	env_open(&e, cfg);
	for (d = 0; d < npacket_dirs; d++) {
		names = list_dir(packet_dirs[d].path, &n);
		for (i = 0; i < n; i++) {
			uint32_t len;

			snprintf(path, sizeof(path), "%s/%s", packet_dirs[d].path, names[i]->d_name);
			len = read_input(path, buf, sizeof(buf));
			agree_frame(&e, path, buf, len);
			e.files++;
		}
		free_list(names, n);
	}
	report(&e, cfg, "packets");
	env_close(&e);
}

/* ---- captures ---------------------------------------------------------------------- */

static void test_captures(void **state)
{
	const struct config *cfg = *state;
	char path[PATH_MAX], err[256];
	struct dirent **names;
	struct env e;
	int d, i, n, end;

	env_open(&e, cfg);
	for (d = 0; d < npcap_dirs; d++) {
		names = list_dir(pcap_dirs[d].path, &n);
		for (i = 0; i < n; i++) {
			snprintf(path, sizeof(path), "%s/%s", pcap_dirs[d].path, names[i]->d_name);
			end = ag_agree_capture(e.k, path, &e.o, &e.t, err, sizeof(err));
			if (end == AG_NOT_A_CAPTURE) {
				if (!pcap_dirs[d].lenient)
					fail_msg("%s: %s", path, err);
				e.skipped++;
				continue;
			}
			e.files++;
		}
		free_list(names, n);
	}
	e.runs = e.t.packets;
	report(&e, cfg, "captures");
	env_close(&e);
}

/* ---- main ------------------------------------------------------------------------- */

static void add_dir(struct corpus_dir *dirs, int *n, const char *path, int lenient)
{
	if (*n == MAX_DIRS) {
		fprintf(stderr, "test_corpus: more than %d directories\n", MAX_DIRS);
		exit(2);
	}
	dirs[*n].path = path;
	dirs[(*n)++].lenient = lenient;
}

static int parse_args(int argc, char **argv)
{
	int i;

	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--packets") == 0)
			add_dir(packet_dirs, &npacket_dirs, argv[i + 1], 0);
		else if (strcmp(argv[i], "--pcap") == 0)
			add_dir(pcap_dirs, &npcap_dirs, argv[i + 1], 0);
		else if (strcmp(argv[i], "--fuzzed-pcap") == 0)
			add_dir(pcap_dirs, &npcap_dirs, argv[i + 1], 1);
		else
			break;
	}
	if (i != argc) {
		fprintf(stderr, "usage: test_corpus [--packets DIR]... [--pcap DIR]... "
			"[--fuzzed-pcap DIR]...\n");
		return -1;
	}
	if (argc == 1) {
		seeds_only = 1;
		add_dir(packet_dirs, &npacket_dirs, SEED_PACKETS, 0);
		add_dir(pcap_dirs, &npcap_dirs, SEED_PCAP, 0);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct CMUnitTest tests[2 * sizeof(configs) / sizeof(configs[0])];
	static char names[2 * sizeof(configs) / sizeof(configs[0])][96];
	size_t i, n = 0;

	if (parse_args(argc, argv))
		return 2;
	tp_build_primers(primers, NULL);
	for (i = 0; i < sizeof(configs) / sizeof(configs[0]); i++) {
		if (npacket_dirs) {
			snprintf(names[n], sizeof(names[n]), "packets agree: %s", configs[i].name);
			tests[n] = (struct CMUnitTest)cmocka_unit_test_prestate(test_packets,
									       (void *)&configs[i]);
			tests[n].name = names[n];
			n++;
		}
		if (npcap_dirs) {
			snprintf(names[n], sizeof(names[n]), "captures agree: %s", configs[i].name);
			tests[n] = (struct CMUnitTest)cmocka_unit_test_prestate(test_captures,
									       (void *)&configs[i]);
			tests[n].name = names[n];
			n++;
		}
	}
	return _cmocka_run_group_tests("corpus", tests, n, NULL, NULL);
}
