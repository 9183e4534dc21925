// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer harness: the input is a capture file, read by synscope -r
 * itself (ss_capture_run() in user/offline/capture.c: libpcap, link layers, the
 * shared parser, the pending table, the handshake engine, the output) in
 * the three ways a user can ask for:
 *   trace   -o json --packets, a handshake table of 8 flows (evictions)
 *           and a 1 s timeout (expiries)
 *   text    --explain: every packet line and its explanation
 *   top     the flood view over capture time, alerts on
 * The input's length modulo 3 picks the way, so that a finding replays
 * alike, and each run pays synscope's per-file setup once (the 65536-entry
 * pending table dominates an execution). Each must end with exit code 0
 * or 1 (a bad capture), never a crash, a sanitizer report or a leak. Run
 * with -close_fd_mask=3: what synscope prints is not the harness's
 * business.
 *
 * The file is handed over as /proc/self/fd/N of a memfd, so synscope opens
 * it by name as it would any capture.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "offline/capture.h"
#include "modes/sink.h"
#include "cli/options.h"

static int memfd = -1;
static char path[64];

static const char *const modes[][16] = {
	{ "synscope", "-r", path, "-o", "json", "--packets", "--max-flows", "8", "--timeout", "1", NULL },
	{ "synscope", "-r", path, "--explain", NULL },
	{ "synscope", "top", "-r", path, "-o", "json", "--interval", "1", "--top-n", "3",
	  "--alert-syn-rate", "2", "--alert-incomplete", "10", NULL },
};
#define NMODES (sizeof(modes) / sizeof(modes[0]))

static struct ss_options opts[NMODES];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];
	size_t m;
	int n;

	(void)argc;
	(void)argv;
	memfd = memfd_create("fuzz-capture", 0);
	if (memfd < 0) {
		perror("memfd_create");
		abort();
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	for (m = 0; m < NMODES; m++) {
		for (n = 0; modes[m][n]; n++)
			;
		if (ss_options_parse(n, (char **)modes[m], &opts[m], err, sizeof(err))) {
			fprintf(stderr, "fuzz_capture: mode %zu: %s\n", m, err);
			abort();
		}
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static volatile sig_atomic_t stop;
	size_t m = size % NMODES;
	struct ss_sink sink;
	int rc;

	if (ftruncate(memfd, 0) || (size && pwrite(memfd, data, size, 0) != (ssize_t)size)) {
		perror("memfd");
		abort();
	}
	if ((opts[m].top ? ss_top_sink : ss_trace_sink)(&opts[m], &sink))
		abort();
	rc = ss_capture_run(&opts[m], &sink, &stop);
	sink.free(sink.ctx);
	if (rc != 0 && rc != 1) {
		fprintf(stderr, "fuzz_capture: mode %zu: exit code %d\n", m, rc);
		abort();
	}
	return 0;
}
