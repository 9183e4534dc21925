// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* --metrics fed from a live trace or top (exporter_live.h). */
#include <stdio.h>
#include <string.h>
#include "live/fleet.h"
#include "host/tcpstat.h"

int ss_fleet_start(struct ss_fleet *f, const struct ss_options *o)
{
	char err[256];

	memset(f, 0, sizeof(*f));
	if (!o->metrics_addr)
		return 0;
	f->exp = ss_exporter_new();
	if (!f->exp) {
		fprintf(stderr, "synscope: out of memory\n");
		return -1;
	}
	/* The namespace's TCP statistics: unreadable ones are left out. */
	f->tcp = ss_tcpstat_open(err, sizeof(err));
	if (!f->tcp)
		fprintf(stderr, "synscope: metrics without TCP statistics: %s\n", err);
	f->server = ss_metrics_bind(o->metrics_addr, ss_exporter_render, f->exp, err, sizeof(err));
	if (!f->server) {
		fprintf(stderr, "synscope: %s\n", err);
		return -1;
	}
	fprintf(stderr, "synscope: metrics at http://%s/metrics\n", ss_metrics_address(f->server));
	return 0;
}

int ss_fleet_serve(struct ss_fleet *f)
{
	char err[256];

	if (!f->server)
		return 0;
	if (ss_metrics_serve(f->server, err, sizeof(err))) {
		fprintf(stderr, "synscope: %s\n", err);
		return -1;
	}
	return 0;
}

void ss_fleet_publish(struct ss_fleet *f, const struct ss_loader *l, const struct hs_stats *hs,
		      uint64_t established_unprinted, uint64_t events_read, uint64_t pending,
		      uint64_t now_ns, int wait)
{
	static struct ss_iface_counters rows[SS_EXP_IFACES + 1];
	struct ss_exp_inputs in = { .ifaces = rows, .events_read = events_read,
				    .pending = pending, .hs = hs,
				    .established_unprinted = established_unprinted };
	struct ss_tcpstat ts;
	int n;

	if (!f->exp || (!wait && !ss_exporter_due(f->exp, now_ns)))
		return;
	/* The kernel's counters per interface ("other": past the slots). */
	n = ss_loader_counters_by_iface(l, rows, SS_EXP_IFACES + 1);
	in.nifaces = n > 0 ? n : 0;
	if (f->tcp && ss_tcpstat_read(f->tcp, &ts) == 0)
		in.tcp = &ts;
	ss_exporter_publish(f->exp, &in, now_ns, wait);
}

void ss_fleet_stop(struct ss_fleet *f)
{
	ss_metrics_stop(f->server);
	ss_tcpstat_close(f->tcp);
	ss_exporter_free(f->exp);
	memset(f, 0, sizeof(*f));
}
