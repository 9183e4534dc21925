/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * One live session, the source of every live mode (the trace, top; see
 * sink.h): serve metrics, open -w, load, attach, drop privileges, poll
 * and drain the ring, watch the interfaces, sweep the pending table, then
 * tear down. A mode adds only its sink.
 *
 * The end is the same for every mode and every way out (a signal,
 * --duration, -c, a reader gone, an interface removed): the programs are
 * detached first, so the kernel's counters stop moving, then the ring is
 * drained until it is empty and the counters read the same twice, and
 * only then does the sink write its last records and the summary. So what
 * the user sees at exit reconciles with the kernel's final counters.
 */
#ifndef SS_SESSION_H
#define SS_SESSION_H

#include <signal.h>
#include "cli/options.h"
#include "modes/sink.h"

/* Trace live into the sink until *stop, --duration, the sink's tick or
 * a lost interface ends it. The exit code: 0, or 1 after a failure (one
 * line printed). */
int ss_session_run(const struct ss_options *o, struct ss_sink *sink, volatile sig_atomic_t *stop);

#endif /* SS_SESSION_H */
