/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* --metrics in a live trace or top: the exporter (exporter.h), its server
 * (metrics.h) and the namespace's TCP statistics, fed from the loader. */
#ifndef SS_EXPORTER_LIVE_H
#define SS_EXPORTER_LIVE_H

#include <stdint.h>
#include "fleet/exporter.h"
#include "engine/handshake.h"
#include "live/loader.h"
#include "cli/options.h"

struct ss_fleet {
	struct ss_exporter *exp;         /* NULL without --metrics */
	struct ss_metrics *server;
	struct ss_tcpstat_reader *tcp;
};

/* Without --metrics: nothing, 0. Otherwise start serving (before anything
 * is attached: a taken port fails the start, not the trace); -1 with one
 * line printed on failure. */
int ss_fleet_start(struct ss_fleet *f, const struct ss_options *o);
/* Start the server's thread: after ss_loader_drop_privs, so that it holds
 * no capability (they are per thread). -1 with one line printed. */
int ss_fleet_serve(struct ss_fleet *f);
/* The tracing thread's figures, when a scrape wants them or a second has
 * passed; wait = 1 at exit (the summary's figures). hs: the engine's
 * figures (NULL: none), with the established records -c left unprinted. */
void ss_fleet_publish(struct ss_fleet *f, const struct ss_loader *l, const struct hs_stats *hs,
		      uint64_t established_unprinted, uint64_t events_read, uint64_t pending,
		      uint64_t now_ns, int wait);
/* Stop serving, free; safe twice. */
void ss_fleet_stop(struct ss_fleet *f);

#endif /* SS_EXPORTER_LIVE_H */
