/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The offline source: a pcap/pcapng capture through the kernel's
 * per-packet path on the host, into a mode's sink (sink.h). */
#ifndef SS_CAPTURE_H
#define SS_CAPTURE_H

#include <signal.h>
#include "cli/options.h"
#include "modes/sink.h"

/* Called once the capture is open, before the first record is read
 * (synscope drops its capabilities there). */
void ss_capture_on_open(void (*fn)(void));
/* Read o->read_file ("-" = stdin) into the sink until its end, *stop or
 * the sink's tick ends it. The exit code. */
int ss_capture_run(const struct ss_options *o, struct ss_sink *sink, volatile sig_atomic_t *stop);

#endif /* SS_CAPTURE_H */
