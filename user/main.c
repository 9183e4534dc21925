// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * synscope: trace TCP handshakes live (-i), from a capture file (-r), or
 * watch a SYN flood (top). This file only dispatches: the options pick a
 * mode (the trace or top: a sink, sink.h) and a source (the live session
 * or a capture), and the source runs the sink.
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
#include "offline/capture.h"
#include "fleet/metrics.h"
#include "host/cgroup.h"
#include "cli/options.h"
#include "modes/sink.h"
#include "live/privs.h"
#include "live/session.h"

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

int main(int argc, char **argv)
{
	struct ss_options o;
	struct ss_sink sink;
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
	/* --cgroup names a cgroup2 directory: one that is not there (or no
	 * cgroup) is, like a missing interface, this host's answer (exit 1),
	 * not a malformed option. */
	if (o.cgroup_path) {
		struct ss_cgroups *cg = ss_cgroups_open();

		if (!cg || ss_cgroups_resolve(cg, o.cgroup_path, &o.cgroup_id, &o.cgroup_level,
					      err, sizeof(err))) {
			fprintf(stderr, "synscope: --cgroup %s\n", cg ? err : "out of memory");
			ss_cgroups_close(cg);
			return 1;
		}
		ss_cgroups_close(cg);
	}
	/* stdio is for top's intervals and --help: line-buffered even into a
	 * pipe, so `synscope top -o json | jq` is live. Records go through
	 * out/output.c's writer, flushed per batch. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	setup_signals();
	libbpf_set_print(o.verbose ? libbpf_print : libbpf_quiet);

	if (!o.read_file && ss_privs_check(err, sizeof(err))) {
		fprintf(stderr, "synscope: %s\n", err);
		return 1;
	}
	if ((o.top ? ss_top_sink : ss_trace_sink)(&o, &sink))
		return 1;
	if (o.read_file) {
		ss_capture_on_open(drop_all_privs);
		r = ss_capture_run(&o, &sink, &exiting);
	} else {
		r = ss_session_run(&o, &sink, &exiting);
	}
	sink.free(sink.ctx);
	return r;
}
