// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The metrics server alone, for tests/e2e/e2e_metrics_server.sh: serves fixed
 * families of every type (the values the test compares with what
 * promtool and a real Prometheus read) for SECONDS, or until SIGINT/SIGTERM.
 *   metrics_demo SPEC [SECONDS]     (default 30)
 * Prints "metrics_demo: serving on ADDR" once listening.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "fleet/metrics.h"

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

static void render(void *arg, struct ss_prom *out)
{
	static const double bounds[] = { 0.0001, 0.001, 0.01, 0.1, 1 };
	static const uint64_t counts[] = { 3, 10, 25, 4, 1 };
	uint64_t *renders = arg;
	char iface[64], labels[96];

	++*renders;
	ss_prom_family(out, "synscope_demo_handshakes_total", "counter", "Handshakes seen, by outcome.");
	ss_prom_u64(out, "synscope_demo_handshakes_total", "outcome=\"established\"", 42);
	ss_prom_u64(out, "synscope_demo_handshakes_total", "outcome=\"refused\"", 7);
	ss_prom_family(out, "synscope_demo_renders_total", "counter", "Times the render callback ran.");
	ss_prom_u64(out, "synscope_demo_renders_total", NULL, *renders);
	ss_prom_family(out, "synscope_demo_half_open", "gauge", "SYN-ACKs waiting for their ACK.");
	ss_prom_u64(out, "synscope_demo_half_open", NULL, 3);
	ss_prom_family(out, "synscope_demo_syn_rate", "gauge", "SYNs per second \\ over the \"last\" interval.");
	ss_prom_double(out, "synscope_demo_syn_rate", NULL, 1234.5);
	/* A label value that needs every escape. */
	ss_prom_escape(iface, sizeof(iface), "ve\"th\\0\n");
	snprintf(labels, sizeof(labels), "iface=\"%s\"", iface);
	ss_prom_family(out, "synscope_demo_iface_up", "gauge", "1 while the interface is traced.");
	ss_prom_u64(out, "synscope_demo_iface_up", labels, 1);
	ss_prom_family(out, "synscope_demo_handshake_seconds", "histogram", "SYN to completing ACK.");
	ss_prom_histogram(out, "synscope_demo_handshake_seconds", "family=\"ipv4\"", bounds, counts, 5, 2, 1.75);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct timespec tick = { 0, 50 * 1000 * 1000 };
	struct ss_metrics *m;
	uint64_t renders = 0;
	double seconds = 30;
	char err[256];
	char *end;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: metrics_demo SPEC [SECONDS]\n");
		return 2;
	}
	if (argc == 3) {
		errno = 0;
		seconds = strtod(argv[2], &end);
		if (errno || *end || end == argv[2] || seconds <= 0) {
			fprintf(stderr, "metrics_demo: bad SECONDS '%s'\n", argv[2]);
			return 2;
		}
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	m = ss_metrics_start(argv[1], render, &renders, err, sizeof(err));
	if (!m) {
		fprintf(stderr, "metrics_demo: %s\n", err);
		return 1;
	}
	printf("metrics_demo: serving on %s\n", ss_metrics_address(m));
	fflush(stdout);
	for (double waited = 0; !exiting && waited < seconds; waited += 0.05)
		nanosleep(&tick, NULL);
	fprintf(stderr, "metrics_demo: %llu scrapes\n", (unsigned long long)ss_metrics_scrapes(m));
	ss_metrics_stop(m);
	return 0;
}
